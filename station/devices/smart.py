"""SMART health and self-tests through smartctl, with every run kept as evidence.

Every smartctl call goes through a `Runner`, so each leaves a CommandEvidence and tests
replay recorded outputs of real drives. The facts the verdict uses come from
`smartctl -x --json` when it parses (the evidence kept in the record), else from the
text of `smartctl --all` (smartctl < 7.0 has no JSON); the verdict itself is pure
(station.domain.smart_verdict).

pySMART was used here until issue 13: Station overrode its private `_exec`, parsed
smartctl's output itself and kept only pySMART's one-word assessment, which nothing
used, while pySMART's import switched the whole process to LANG=C. smartctl's own
output, read by station.domain.smart_facts, is the single source now.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from station.devices import sysfs
from station.devices.runner import CommandEvidence, Runner
from station.domain.disk import Bus, DiskIdentity
from station.domain.smart_facts import SmartFacts, facts_from_json, facts_from_text
from station.domain.smart_verdict import SmartVerdict, judge
from station.errors import CommandError

log = logging.getLogger(__name__)

SMARTCTL_TIMEOUT_S = 120.0
SelfTestKind = Literal["short", "long"]

# USB bridges whose NVMe pass-through smartctl reaches only with an `snt*` type
# (smartctl(8), -d sntasmedia / sntjmicron / sntrealtek; drivedb.h USB entries).
USB_NVME_BRIDGES = {
    ("174c", "2362"): "sntasmedia",  # ASMedia ASM2362 (Samsung T7, many enclosures)
    ("152d", "0583"): "sntjmicron",  # JMicron JMS583
    ("0bda", "9210"): "sntrealtek",  # Realtek RTL9210
}
# Station bus -> smartctl device type. "sat" covers SATA behind libata and most USB
# bridges that do pass-through; an unknown bridge shows up as NOT_SUPPORTED.
SMARTCTL_TYPE = {Bus.ATA: "sat", Bus.USB: "sat", Bus.NVME: "nvme", Bus.SCSI: "scsi"}


def usb_ids(name: str, sys_root: Path = sysfs.SYS) -> tuple[str, str] | None:
    """(idVendor, idProduct) of the USB device a disk sits behind, from sysfs."""
    try:
        device = (sysfs.block_dir(name, sys_root) / "device").resolve()
    except OSError:
        return None
    for folder in (device, *device.parents):
        vendor = sysfs.read_attr(folder / "idVendor")
        product = sysfs.read_attr(folder / "idProduct")
        if vendor and product:
            return vendor.lower(), product.lower()
    return None


def smartctl_type(identity: DiskIdentity, sys_root: Path = sysfs.SYS) -> str | None:
    """The one smartctl `-d` type for a disk, used by the bench, the CLI and the
    self-test alike; None where smartctl has nothing to ask (loop, virtio, files)."""
    if identity.bus is Bus.USB:
        ids = usb_ids(identity.name, sys_root)
        if ids is not None and ids in USB_NVME_BRIDGES:
            return USB_NVME_BRIDGES[ids]
    return SMARTCTL_TYPE.get(identity.bus)


@dataclass
class SmartReport:
    """One SMART assessment: the facts, the verdict and every command behind them."""

    path: str
    facts: SmartFacts
    verdict: SmartVerdict
    raw_json: dict[str, Any] | None
    evidence: list[CommandEvidence] = field(default_factory=list)
    smart_switched_on: bool = False

    def to_record(self) -> dict[str, object]:
        return {
            "path": self.path,
            "verdict": self.verdict.model_dump(mode="json"),
            "facts": self.facts.model_dump(mode="json"),
            "smart_switched_on": self.smart_switched_on,
            "commands": [e.to_record() for e in self.evidence],
        }


def _type_args(interface: str | None) -> list[str]:
    return ["-d", interface] if interface else []


class _Smartctl:
    """smartctl on one device, every run recorded."""

    def __init__(self, path: str, runner: Runner, interface: str | None) -> None:
        self.path, self.runner, self.interface = path, runner, interface
        self.evidence: list[CommandEvidence] = []

    def run(self, *args: str) -> CommandEvidence:
        argv = ["smartctl", *_type_args(self.interface), *args, self.path]
        evidence = self.runner.run(argv, timeout=SMARTCTL_TIMEOUT_S)
        self.evidence.append(evidence)
        if evidence.timed_out:
            raise CommandError(
                f"smartctl timed out: {evidence.describe()}",
                french=f"smartctl n'a pas répondu à temps ({evidence.describe()})",
            )
        return evidence

    def read_json(self) -> tuple[dict[str, Any] | None, SmartFacts | None]:
        evidence = self.run("-x", "--json=c")
        try:
            doc = json.loads(evidence.stdout)
        except json.JSONDecodeError:
            return None, None  # smartctl < 7.0 has no JSON; the text still works
        return (doc, facts_from_json(doc)) if isinstance(doc, dict) else (None, None)

    def read_text(self) -> tuple[str, SmartFacts]:
        evidence = self.run("--all")
        return evidence.stdout, facts_from_text(evidence.stdout, exit_status=evidence.returncode)


def smart_disabled(facts: SmartFacts) -> bool:
    return facts.smart_enabled is False


def read_smart(
    path: str,
    *,
    runner: Runner,
    interface: str | None = None,
    sources: tuple[Literal["json", "text"], ...] = ("json", "text"),
) -> SmartReport:
    """Read SMART once and judge it. `interface` is smartctl's -d type (smartctl_type).

    A drive whose SMART is switched off (a BIOS or a previous owner did it) gets
    `smartctl -s on`, then is read again: a switched-off drive says nothing, which
    would be NOT_SUPPORTED for no reason. `sources` exists for replaying recordings that
    hold only one of the two outputs; Station itself tries the JSON first.
    """
    smartctl = _Smartctl(path, runner, interface)
    raw_json, facts = smartctl.read_json() if "json" in sources else (None, None)
    if facts is None and "text" in sources and path.startswith("/dev/"):
        _text, facts = smartctl.read_text()
    if facts is None:
        raise CommandError(
            f"smartctl gave nothing readable for {path}",
            french=f"smartctl n'a rien donné de lisible pour {path}",
        )
    switched_on = False
    if smart_disabled(facts):
        enable = smartctl.run("-s", "on")
        switched_on = enable.ok
        log.info("SMART was disabled on %s; smartctl -s on exited %s", path, enable.returncode)
        if switched_on:
            if raw_json is not None:
                raw_json, again = smartctl.read_json()
            else:
                _text, again = smartctl.read_text()
            facts = again or facts
    return SmartReport(
        path=path,
        facts=facts,
        verdict=judge(facts),
        raw_json=raw_json,
        evidence=smartctl.evidence,
        smart_switched_on=switched_on,
    )


class SelfTestStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ABORTED = "aborted"
    NOT_SUPPORTED = "not_supported"
    NOT_STARTED = "not_started"
    UNKNOWN = "unknown"  # the log names a status smartctl itself does not know


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
    smartctl = _Smartctl(path, runner, interface)

    def outcome(status: SelfTestStatus, detail: str, new: bool = False) -> SelfTestOutcome:
        return SelfTestOutcome(status, kind, detail, new, smartctl.evidence)

    all_text, facts = smartctl.read_text()
    if not facts.supported:
        return outcome(SelfTestStatus.NOT_SUPPORTED, facts.unsupported_reason or "no SMART")
    if not _self_tests_offered(all_text, kind):
        return outcome(SelfTestStatus.NOT_SUPPORTED, f"the drive offers no {kind} self-test")
    if facts.self_test_running:
        # A test left running (a stopped bench, another tool): smartctl would refuse to
        # start ours ("Can't start self-test without aborting current test").
        _abort(smartctl)
        _all_text, facts = smartctl.read_text()
    before = _log_signature(facts)
    start = smartctl.run("-t", kind)
    start_text = start.stdout
    if "not supported" in start_text.lower():
        return outcome(SelfTestStatus.NOT_SUPPORTED, "smartctl: self-tests not supported")
    if "has begun" not in start_text and start.returncode == 0:
        # QEMU's NVMe: smartctl exits 0, yet no test starts. Not a pass: not supported.
        return outcome(SelfTestStatus.NOT_SUPPORTED, "smartctl exited 0 but no test began")
    if "has begun" not in start_text:
        tail = start_text.strip().splitlines()[-1:] or ["no output"]
        return outcome(SelfTestStatus.NOT_STARTED, f"smartctl did not start it: {tail[0]}")
    for _ in range(max_polls):
        _text, facts = smartctl.read_text()
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
    # Two tests within the same power-on hour can look identical; the log entry is
    # still the drive's own word on the test just run.
    new_entry = _log_signature(facts) != before
    status = {
        "passed": SelfTestStatus.PASSED,
        "failed": SelfTestStatus.FAILED,
        "aborted": SelfTestStatus.ABORTED,
    }.get(latest.outcome, SelfTestStatus.UNKNOWN)
    return outcome(status, latest.status, new_entry)


def _abort(smartctl: _Smartctl) -> bool:
    done = smartctl.run("-X")
    # ATA: "Self-testing aborted!"; NVMe: "Self-test aborted!" (smartmontools' own words).
    aborted = "aborted!" in done.stdout
    log.info("smartctl -X on %s: %s", smartctl.path, "aborted" if aborted else done.stdout[-200:])
    return aborted


def abort_self_test(path: str, *, runner: Runner, interface: str) -> bool:
    """Stop the drive's running self-test (`smartctl -X`); True when smartctl says it did.

    A stopped bench sends it: otherwise an extended test goes on for hours and the
    drive refuses the next run's test until it ends."""
    return _abort(_Smartctl(path, runner, interface))


# "Self-test supported." / "No Self-test supported." (ATA capabilities), "Conveyance
# Self-test supported."; for NVMe the Optional Admin Commands list Self_Test.
_ATA_SELF_TEST = re.compile(r"^\s*(No )?Self-test supported\.", re.M)


def _self_tests_offered(all_text: str, kind: SelfTestKind) -> bool:
    """smartctl's own words decide: "Self-tests not supported", an ATA drive whose
    capabilities say "No Self-test supported", or an NVMe whose Optional Admin Commands
    lack Self_Test (a USB bridge may hide it)."""
    if "Self-tests not supported" in all_text:
        return False
    ata = _ATA_SELF_TEST.search(all_text)
    if ata is not None:
        return ata.group(1) is None
    admin = re.search(r"^Optional Admin Commands \(0x[0-9a-fA-F]+\):(.*)$", all_text, re.M)
    if admin is not None:
        return "Self_Test" in admin.group(1)
    # SCSI and others: smartctl answers `-t` itself, and says when it cannot.
    return True
