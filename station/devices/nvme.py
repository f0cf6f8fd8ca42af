"""NVMe drives through nvme-cli: capabilities, Sanitize with log polling, Format NVM.

Capabilities are checked here, not left to the drive: QEMU accepts `format --ses=2`
although its FNA says crypto erase is unsupported (docs/testing.md), so Station asks for
crypto erase only when FNA bit 2 says the drive has it (docs/sanitization.md, pitfall 7).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from station.devices import sysfs
from station.devices.firmware_erase import (
    DEFAULT_POLLING,
    EraseOutcome,
    Polling,
    poll_until_finished,
)
from station.devices.runner import CommandEvidence, Runner
from station.domain.drive_capabilities import NvmeCapabilities
from station.errors import CommandError

ADMIN_TIMEOUT_S = 30.0
FORMAT_TIMEOUT_S = 4 * 3600.0
NO_ESTIMATE = 0xFFFFFFFF  # sanitize log: "no time period reported"


# ---------------------------------------------------------------- parsing (pure)


_TEXT_FIELD = re.compile(r"^\s*([a-z][a-z0-9]*)\s*:\s?(.*?)\s*$")


def _id_ctrl_doc(text: str) -> dict[str, object]:
    """id-ctrl as a dict: the JSON, the JSON after warnings nvme-cli printed before it,
    or the normal text layout (`mn        : KXG6AZNV512G TOSHIBA`) that some nvme-cli
    builds print whatever `-o json` says. CommandError when it is none of them."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        try:
            doc = json.loads(text[start : end + 1]) if 0 <= start < end else None
        except json.JSONDecodeError:
            doc = None
    if isinstance(doc, dict):
        return doc
    fields: dict[str, object] = {}
    for line in text.splitlines():
        match = _TEXT_FIELD.match(line)
        if match and match[1] not in fields:
            fields[match[1]] = match[2]
    if "mn" not in fields and "sanicap" not in fields:
        raise CommandError("nvme id-ctrl gave no readable identify data: " + text.strip()[:200])
    return fields


def _number(value: object) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(str(value).split()[0], 0)
    except (ValueError, IndexError):
        return 0


def parse_id_ctrl(text: str) -> NvmeCapabilities:
    """`nvme id-ctrl DEV -o json` (both `"key": v` and older `"key" : v` layouts), or its
    normal text output when that is what came back."""
    doc = _id_ctrl_doc(text)

    def clean(value: object) -> str | None:
        return str(value).strip() or None if value is not None else None

    return NvmeCapabilities(
        model=clean(doc.get("mn")),
        serial=clean(doc.get("sn")),
        firmware=clean(doc.get("fr")),
        sanicap=_number(doc.get("sanicap", 0)),
        fna=_number(doc.get("fna", 0)),
        oacs=_number(doc.get("oacs", 0)),
    )


class SanitizeStatus(IntEnum):
    """SSTAT bits 2:0 (NVMe base spec, Sanitize Status log)."""

    NEVER = 0
    COMPLETED = 1
    IN_PROGRESS = 2
    FAILED = 3
    COMPLETED_NO_DEALLOCATE = 4


@dataclass(frozen=True)
class SanitizeLog:
    sprog: int
    sstat: int
    estimates_s: dict[str, int | None]
    scdw10: int | None = None  # the last Sanitize command's Dword 10 (None: not printed)

    @property
    def sanact(self) -> int | None:
        """SANACT (SCDW10 bits 2:0): which sanitize the log is about."""
        return None if self.scdw10 is None else self.scdw10 & 0x7

    @property
    def status(self) -> SanitizeStatus | None:
        try:
            return SanitizeStatus(self.sstat & 0x7)
        except ValueError:
            return None

    @property
    def global_data_erased(self) -> bool:
        return bool(self.sstat & 0x100)  # SSTAT bit 8

    @property
    def percent_done(self) -> int:
        return round(self.sprog * 100 / 65536)


def _log_number(text: str, label: str) -> int | None:
    match = re.search(rf"{re.escape(label)}[^:\n]*:\s*(0x[0-9a-fA-F]+|\d+)", text)
    if not match:
        return None
    return int(match.group(1), 0)


def parse_sanitize_log(text: str) -> SanitizeLog:
    """`nvme sanitize-log DEV` in normal output (SPROG / SSTAT / estimates)."""
    sprog = _log_number(text, "(SPROG)")
    sstat = _log_number(text, "(SSTAT)")
    if sprog is None or sstat is None:
        raise CommandError("sanitize log without SPROG/SSTAT: " + text.strip()[:200])
    estimates: dict[str, int | None] = {}
    for key, label in (
        ("overwrite", "Estimated Time For Overwrite "),
        ("block_erase", "Estimated Time For Block Erase "),
        ("crypto_erase", "Estimated Time For Crypto Erase "),
    ):
        value = _log_number(text, label)
        estimates[key] = None if value in (None, NO_ESTIMATE) else value
    return SanitizeLog(
        sprog=sprog, sstat=sstat, estimates_s=estimates, scdw10=_log_number(text, "(SCDW10)")
    )


# ---------------------------------------------------------------- commands


def read_capabilities(
    path: str, runner: Runner, sys_root: Path = sysfs.SYS
) -> tuple[NvmeCapabilities, CommandEvidence]:
    """id-ctrl, plus how many namespaces sysfs shows next to `path` (pitfall 8)."""
    evidence = runner.run(["nvme", "id-ctrl", path, "-o", "json"], timeout=ADMIN_TIMEOUT_S)
    if not evidence.ok:
        raise CommandError(f"cannot identify NVMe controller {path}: {evidence.describe()}")
    namespaces = sysfs.nvme_namespaces(Path(path).resolve().name, sys_root)
    caps = parse_id_ctrl(evidence.stdout).model_copy(
        update={"active_namespaces": len(namespaces) if namespaces else None}
    )
    return caps, evidence


def read_sanitize_log(path: str, runner: Runner) -> tuple[SanitizeLog | None, CommandEvidence]:
    """None when the drive has no sanitize log (e.g. QEMU: invalid log page)."""
    evidence = runner.run(["nvme", "sanitize-log", path], timeout=ADMIN_TIMEOUT_S)
    if not evidence.ok:
        return None, evidence
    try:
        return parse_sanitize_log(evidence.stdout), evidence
    except CommandError:
        return None, evidence


def sanitize_in_progress(path: str, runner: Runner) -> tuple[bool, CommandEvidence]:
    """Sanitize survives power cycles: check on start (pitfall 5); discovery refuses the
    disk with code `sanitize_in_progress` while this is True."""
    log, evidence = read_sanitize_log(path, runner)
    return (log is not None and log.status is SanitizeStatus.IN_PROGRESS), evidence


SANACT = {"block_erase": 2, "overwrite": 3, "crypto_erase": 4}


def sanitize(
    path: str, runner: Runner, action: str, polling: Polling = DEFAULT_POLLING
) -> EraseOutcome:
    """NVMe Sanitize (block erase / crypto erase / overwrite), polled on the sanitize log.

    The log describes the LAST sanitize: a "completed" left over from an earlier crypto
    erase must not be taken for the block erase just asked, so its SANACT is checked."""
    start = runner.run(
        ["nvme", "sanitize", path, f"--sanact={SANACT[action]}"], timeout=ADMIN_TIMEOUT_S
    )
    evidence = [start]
    if not start.ok:
        return EraseOutcome(False, action, f"not started: {start.describe()}", evidence)

    def step() -> tuple[bool | None, int | None, str]:
        log, poll = read_sanitize_log(path, runner)
        evidence.append(poll)
        if log is None:
            return False, None, "no sanitize log to confirm it"
        if log.sanact is not None and log.sanact != SANACT[action]:
            return (
                False,
                None,
                (
                    f"the sanitize log is about another action (SANACT {log.sanact}, "
                    f"asked {SANACT[action]}): the drive did not run this sanitize"
                ),
            )
        if log.status is SanitizeStatus.IN_PROGRESS:
            return None, log.percent_done, ""
        if log.status in (SanitizeStatus.COMPLETED, SanitizeStatus.COMPLETED_NO_DEALLOCATE):
            erased = " (global data erased)" if log.global_data_erased else ""
            return True, 100, f"sanitize completed{erased}"
        return False, None, f"sanitize status {log.sstat:#x}"

    done, detail = poll_until_finished(step, polling)
    return EraseOutcome(done, action, detail, evidence)


def format_nvm(path: str, runner: Runner, ses: int, caps: NvmeCapabilities) -> EraseOutcome:
    """Format NVM with Secure Erase Setting 1 (user data erase) or 2 (crypto erase)."""
    technique = {1: "format_user_data_erase", 2: "format_crypto_erase"}[ses]
    if not caps.format_supported:
        return EraseOutcome(False, technique, "controller does not offer Format NVM")
    if ses == 2 and not caps.format_crypto_erase:
        # QEMU would accept it anyway; the label must not claim what FNA denies.
        return EraseOutcome(False, technique, "FNA says crypto erase is not supported")
    if (caps.format_all_namespaces or caps.secure_erase_all_namespaces) and not (
        caps.single_namespace
    ):
        # The planner never asks for this; checked again because it would erase disks
        # nobody selected (pitfall 8).
        seen = caps.active_namespaces or "an unknown number of"
        return EraseOutcome(
            False, technique, f"format would erase all {seen} namespaces of the controller"
        )
    evidence = runner.run(
        ["nvme", "format", path, f"--ses={ses}", "--force"], timeout=FORMAT_TIMEOUT_S
    )
    if not evidence.ok:
        return EraseOutcome(False, technique, f"format failed: {evidence.describe()}", [evidence])
    return EraseOutcome(True, technique, "format accepted", [evidence])
