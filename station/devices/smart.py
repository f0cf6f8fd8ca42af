"""SMART health and self-tests through pySMART, with smartctl's JSON kept as evidence.

pySMART runs smartctl through a `Smartctl` object; Station gives it one whose every call
goes through a `Runner`, so each smartctl run leaves a CommandEvidence and tests can
replay recorded outputs of real drives. The facts the verdict uses come from
`smartctl -x --json` when it parses (the evidence kept in the record), else from the text
pySMART read; the verdict itself is pure (station.domain.smart_verdict).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from station.devices.runner import CommandEvidence, Runner
from station.domain.smart_facts import SmartFacts, facts_from_json, facts_from_text
from station.domain.smart_verdict import SmartVerdict, judge
from station.errors import CommandError

# pySMART sets os.environ["LANG"] = "C" when its smartctl module is imported (pySMART
# 1.4, pySMART/smartctl.py). That would switch every later subprocess of Station (and the
# TUI's own locale detection) to C; Station's runner sets LC_ALL=C per command instead.
_LOCALE_VARS = ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")


@contextmanager
def _environment_kept(names: tuple[str, ...]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in names}
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


with _environment_kept(_LOCALE_VARS):
    from pySMART import Device
    from pySMART.smartctl import Smartctl

SMARTCTL_TIMEOUT_S = 120.0
SelfTestKind = Literal["short", "long"]

# Station bus -> smartctl device type. "sat" covers SATA behind libata and most USB
# bridges that do pass-through; an unknown bridge shows up as NOT_SUPPORTED.
SMARTCTL_TYPE = {"ata": "sat", "usb": "sat", "nvme": "nvme", "scsi": "scsi"}


class RecordingSmartctl(Smartctl):  # type: ignore[misc]
    """pySMART's smartctl wrapper, running every command through a Runner."""

    def __init__(self, runner: Runner, *, timeout: float = SMARTCTL_TIMEOUT_S) -> None:
        super().__init__(smartctl_path="smartctl", options=[])
        self.runner = runner
        self.timeout = timeout
        self.evidence: list[CommandEvidence] = []

    def _exec(self, cmd: list[str]) -> tuple[list[str], int]:
        evidence = self.runner.run(cmd, timeout=self.timeout)
        self.evidence.append(evidence)
        if evidence.timed_out:
            raise CommandError(f"smartctl timed out: {evidence.describe()}")
        return evidence.stdout.splitlines(), evidence.returncode or 0


@dataclass
class SmartReport:
    """One SMART assessment: the facts, the verdict and every command behind them."""

    path: str
    facts: SmartFacts
    verdict: SmartVerdict
    pysmart_assessment: str | None
    raw_json: dict[str, Any] | None
    evidence: list[CommandEvidence] = field(default_factory=list)

    def to_record(self) -> dict[str, object]:
        return {
            "path": self.path,
            "verdict": self.verdict.model_dump(mode="json"),
            "facts": self.facts.model_dump(mode="json"),
            "pysmart_assessment": self.pysmart_assessment,
            "commands": [e.to_record() for e in self.evidence],
        }


def _type_args(interface: str | None) -> list[str]:
    return ["-d", interface] if interface else []


def open_device(path: str, smartctl: RecordingSmartctl, interface: str | None) -> Any:
    """A pySMART Device read through `smartctl`; None when pySMART cannot parse it."""
    try:
        return Device(path, interface=interface, smartctl=smartctl)
    except CommandError:
        raise
    except Exception:  # pySMART's parsers raise ValueError/IndexError on odd outputs
        return None


def read_smart(
    path: str,
    *,
    runner: Runner,
    interface: str | None = None,
    sources: tuple[Literal["json", "text"], ...] = ("json", "text"),
) -> SmartReport:
    """Read SMART once and judge it. `interface` is smartctl's -d type (see SMARTCTL_TYPE).

    `sources` exists for replaying recordings that hold only one of the two outputs;
    Station itself always reads both.
    """
    smartctl = RecordingSmartctl(runner)
    raw_json: dict[str, Any] | None = None
    facts: SmartFacts | None = None
    if "json" in sources:
        evidence = runner.run(
            ["smartctl", *_type_args(interface), "-x", "--json=c", path],
            timeout=SMARTCTL_TIMEOUT_S,
        )
        smartctl.evidence.append(evidence)
        try:
            raw_json = json.loads(evidence.stdout)
        except json.JSONDecodeError:
            raw_json = None  # smartctl < 7.0 has no JSON; the text below still works
        if isinstance(raw_json, dict):
            facts = facts_from_json(raw_json)
    assessment = None
    # pySMART addresses devices as /dev/<name>; anything else (an image file) has no SMART.
    if "text" in sources and path.startswith("/dev/"):
        device = open_device(path, smartctl, interface)
        assessment = getattr(device, "assessment", None)
        all_runs = [e for e in smartctl.evidence if "--all" in e.argv]
        if facts is None and all_runs:
            facts = facts_from_text(all_runs[-1].stdout, exit_status=all_runs[-1].returncode)
    if facts is None:
        raise CommandError(f"smartctl gave nothing readable for {path}")
    return SmartReport(
        path=path,
        facts=facts,
        verdict=judge(facts),
        pysmart_assessment=assessment,
        raw_json=raw_json,
        evidence=smartctl.evidence,
    )


class SelfTestStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ABORTED = "aborted"
    NOT_SUPPORTED = "not_supported"
    NOT_STARTED = "not_started"


@dataclass
class SelfTestOutcome:
    status: SelfTestStatus
    kind: SelfTestKind
    detail: str
    new_log_entry: bool = False
    evidence: list[CommandEvidence] = field(default_factory=list)


def _log_signature(facts: SmartFacts) -> tuple[int, tuple[str, ...]]:
    return len(facts.self_tests), tuple(e.status for e in facts.self_tests[:3])


def run_self_test(
    path: str,
    kind: SelfTestKind,
    *,
    runner: Runner,
    interface: str,
    on_progress: Callable[[int | None], None] | None = None,
    poll_s: float = 10.0,
    max_polls: int = 10_000,
    sleep: Callable[[float], None] = time.sleep,
) -> SelfTestOutcome:
    """Start a self-test, poll its progress (percent remaining) and return its result.

    A drive that takes the command but runs nothing (QEMU's NVMe: smartctl exits 0 and
    prints "not supported") is NOT_SUPPORTED, never "passed".
    """
    smartctl = RecordingSmartctl(runner)
    device = open_device(path, smartctl, interface)

    def outcome(status: SelfTestStatus, detail: str, new: bool = False) -> SelfTestOutcome:
        return SelfTestOutcome(status, kind, detail, new, smartctl.evidence)

    if device is None:
        return outcome(SelfTestStatus.NOT_SUPPORTED, "smartctl output could not be read")
    all_text = _latest_all_text(smartctl)
    if not device.test_capabilities.get(kind, False) or not _self_tests_offered(all_text):
        return outcome(SelfTestStatus.NOT_SUPPORTED, f"the drive offers no {kind} self-test")
    before = _log_signature(_latest_facts(smartctl))
    raw, rc = smartctl.test_start(interface, kind, device.dev_reference)
    start_text = "\n".join(raw)
    if "not supported" in start_text.lower():
        return outcome(SelfTestStatus.NOT_SUPPORTED, "smartctl: self-tests not supported")
    if "has begun" not in start_text and rc == 0:
        # QEMU's NVMe: smartctl exits 0, yet no test starts. Not a pass: not supported.
        return outcome(SelfTestStatus.NOT_SUPPORTED, "smartctl exited 0 but no test began")
    if "has begun" not in start_text:
        tail = start_text.strip().splitlines()[-1:] or ["no output"]
        return outcome(SelfTestStatus.NOT_STARTED, f"smartctl did not start it: {tail[0]}")
    for _ in range(max_polls):
        device.update()
        facts = _latest_facts(smartctl)
        if not facts.self_test_running:
            break
        if on_progress is not None:
            on_progress(facts.self_test_remaining_percent)
        sleep(poll_s)
    else:
        return outcome(SelfTestStatus.NOT_STARTED, "still running after the polling limit")
    if on_progress is not None:
        on_progress(0)
    if not facts.self_tests:
        return outcome(SelfTestStatus.NOT_SUPPORTED, "the drive keeps no self-test log")
    latest = facts.self_tests[0]
    # Two tests within the same power-on hour can look identical (pySMART notes the
    # same); the log entry is still the drive's own word on the test just run.
    new_entry = _log_signature(facts) != before
    if "abort" in latest.status.lower() or "interrupt" in latest.status.lower():
        return outcome(SelfTestStatus.ABORTED, latest.status, new_entry)
    status = SelfTestStatus.PASSED if latest.passed else SelfTestStatus.FAILED
    return outcome(status, latest.status, new_entry)


def _latest_all_text(smartctl: RecordingSmartctl) -> str:
    runs = [e for e in smartctl.evidence if "--all" in e.argv]
    return runs[-1].stdout if runs else ""


def _self_tests_offered(all_text: str) -> bool:
    """pySMART assumes a self-test on any NVMe not named nvme* (e.g. behind a USB bridge);
    smartctl's own words win: "Self-tests not supported", or an NVMe whose Optional Admin
    Commands lack Self_Test."""
    if "Self-tests not supported" in all_text:
        return False
    admin = re.search(r"^Optional Admin Commands \(0x[0-9a-fA-F]+\):(.*)$", all_text, re.M)
    return admin is None or "Self_Test" in admin.group(1)


def _latest_facts(smartctl: RecordingSmartctl) -> SmartFacts:
    runs = [e for e in smartctl.evidence if "--all" in e.argv]
    if not runs:
        return SmartFacts(supported=False, unsupported_reason="no smartctl --all output")
    return facts_from_text(runs[-1].stdout, exit_status=runs[-1].returncode)
