"""eMMC drives through mmc-utils: health and erase capabilities from EXT_CSD, and the
Purge an eMMC offers (erase of the whole user area, then SANITIZE).

`mmc sanitize` alone only purges blocks already unmapped (JEDEC JESD84-B51, 6.6.24):
the user area is first discarded (`blkdiscard`, the BLKDISCARD ioctl the kernel turns
into eMMC ERASE/DISCARD), then SANITIZE removes the data physically, as IEEE 2883
describes Purge for eMMC. The purge job's watermarks and read-back still decide.
"""

from __future__ import annotations

import re

from station.devices.firmware_erase import EraseOutcome
from station.devices.runner import CommandEvidence, Runner
from station.devices.smart import SmartReport
from station.domain.drive_capabilities import EmmcCapabilities
from station.domain.smart_facts import facts_from_extcsd
from station.domain.smart_verdict import judge
from station.errors import CommandError

EXTCSD_TIMEOUT_S = 30.0
ERASE_TIMEOUT_S = 3600.0


def parse_capabilities(text: str) -> EmmcCapabilities:
    """`Secure Feature support [SEC_FEATURE_SUPPORT: 0x55]`, `[ERASED_MEM_CONT: 0x00]`."""
    sec = re.search(r"\[SEC_FEATURE_SUPPORT:\s*(0x[0-9a-fA-F]+)\]", text)
    erased = re.search(r"\[ERASED_MEM_CONT:\s*(0x[0-9a-fA-F]+)\]", text)
    if sec is None:
        raise CommandError("mmc extcsd read: no SEC_FEATURE_SUPPORT in " + text.strip()[:120])
    return EmmcCapabilities(
        sec_feature_support=int(sec.group(1), 16),
        erased_memory_content=int(erased.group(1), 16) if erased else None,
    )


def read_extcsd(path: str, runner: Runner) -> CommandEvidence:
    evidence = runner.run(["mmc", "extcsd", "read", path], timeout=EXTCSD_TIMEOUT_S)
    if evidence.timed_out:
        raise CommandError(f"mmc extcsd read timed out: {evidence.describe()}")
    return evidence


def read_capabilities(path: str, runner: Runner) -> tuple[EmmcCapabilities, CommandEvidence]:
    evidence = read_extcsd(path, runner)
    if not evidence.ok:
        raise CommandError(f"cannot read EXT_CSD of {path}: {evidence.describe()}")
    return parse_capabilities(evidence.stdout), evidence


def read_health(path: str, runner: Runner) -> SmartReport:
    """The eMMC's own health (life-time estimates, pre-EOL), judged like SMART."""
    evidence = read_extcsd(path, runner)
    if not evidence.ok:
        raise CommandError(f"cannot read EXT_CSD of {path}: {evidence.describe()}")
    facts = facts_from_extcsd(evidence.stdout)
    return SmartReport(
        path=path, facts=facts, verdict=judge(facts), raw_json=None, evidence=[evidence]
    )


def erase_and_sanitize(path: str, runner: Runner) -> EraseOutcome:
    """Discard the whole user area, then SANITIZE; done only when both exit 0 (the
    watermarks and read-back are what prove it)."""
    discard = runner.run(["blkdiscard", "-f", path], timeout=ERASE_TIMEOUT_S)
    if not discard.ok:
        return EraseOutcome(
            False, "block_erase", f"discard failed: {discard.describe()}", [discard]
        )
    sanitize = runner.run(["mmc", "sanitize", path], timeout=ERASE_TIMEOUT_S)
    if not sanitize.ok:
        return EraseOutcome(
            False, "block_erase", f"sanitize failed: {sanitize.describe()}", [discard, sanitize]
        )
    return EraseOutcome(True, "block_erase", "erase and sanitize accepted", [discard, sanitize])
