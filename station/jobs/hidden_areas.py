"""Hidden areas before an erase: the HPA removed where the drive allows, the DCO found
and said, each recorded as an `hpa_dco_change` with before -> after.

A Host Protected Area hides the end of the disk from the overwrite (NIST SP 800-88
Rev. 2: sanitize all user-addressable areas). Station removes it (`hdparm -N p<native>`)
on a drive it reaches directly (SATA), re-reads `-N`, and asks the kernel for the new
size so the overwrite covers it. Through a USB bridge `hdparm -N` is unreliable, so the
HPA is only reported there. A DCO is detected and left in place: restoring it
(`--dco-restore`, which hdparm itself calls exceptionally dangerous) also resets
features and may brick a drive, so it is said, recorded, and the erase warns that the
DCO-hidden sectors are not covered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from station.devices import ata, sysfs
from station.devices.runner import CommandEvidence, Runner
from station.domain.clock import utc_now
from station.domain.disk import Bus, DiskIdentity
from station.domain.drive_capabilities import HpaState
from station.domain.record import DiskRef, HpaDcoAction, HpaDcoChange
from station.errors import CommandError

log = logging.getLogger(__name__)


@dataclass
class AreaFinding:
    feature: Literal["hpa", "dco"]
    action: HpaDcoAction
    native: int | None
    before: int | None
    after: int | None
    evidence: list[CommandEvidence] = field(default_factory=list)


@dataclass
class HiddenAreas:
    findings: list[AreaFinding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def records(self, disk: DiskRef, operator: str) -> list[HpaDcoChange]:
        return [
            HpaDcoChange(
                created_at=utc_now(),
                operator=operator,
                disk=disk,
                feature=f.feature,
                action=f.action,
                native_max_sectors=f.native,
                max_sectors_before=f.before,
                max_sectors_after=f.after,
                commands=[e.to_command_record() for e in f.evidence],
            )
            for f in self.findings
        ]


def uncover_hidden_areas(
    identity: DiskIdentity, runner: Runner, *, remove_hpa: bool = True, sys_root: Path = sysfs.SYS
) -> HiddenAreas:
    """Read -N (and the DCO when IDENTIFY offers it); remove a real HPA on SATA."""
    found = HiddenAreas()
    if identity.bus not in (Bus.ATA, Bus.USB):
        return found
    path = identity.path
    try:
        hpa, hpa_ev = ata.read_hpa(path, runner)
    except CommandError as exc:  # hdparm missing, or no answer at all
        found.warnings.append(f"HPA not checked: {exc.one_line()}")
        return found
    if hpa is None:
        if "max sectors" in hpa_ev.stdout:
            found.warnings.append("hdparm -N gave impossible numbers (a USB bridge?): HPA unknown")
            found.findings.append(AreaFinding("hpa", "not_supported", None, None, None, [hpa_ev]))
        return found
    found.findings.append(_hpa_finding(identity, hpa, hpa_ev, runner, remove_hpa, found, sys_root))
    if identity.bus is Bus.ATA:
        detect_dco(identity, hpa.native_sectors, runner, found)
    return found


def _hpa_finding(
    identity: DiskIdentity,
    hpa: HpaState,
    hpa_ev: CommandEvidence,
    runner: Runner,
    remove: bool,
    found: HiddenAreas,
    sys_root: Path,
) -> AreaFinding:
    visible, native = hpa.visible_sectors, hpa.native_sectors
    if not hpa.hpa_enabled or hpa.hidden_sectors == 0:
        return AreaFinding("hpa", "none_found", native, visible, visible, [hpa_ev])
    if identity.bus is Bus.USB or not remove:
        found.warnings.append(
            f"HPA hides {hpa.hidden_sectors} sectors and was left in place"
            + (" (USB bridge: connect to SATA to remove it)" if identity.bus is Bus.USB else "")
        )
        return AreaFinding("hpa", "left_in_place", native, visible, visible, [hpa_ev])
    evidence = [hpa_ev, ata.restore_native_max(identity.path, native, runner)]
    after, after_ev = ata.read_hpa(identity.path, runner)
    evidence.append(after_ev)
    if after is not None and not after.hpa_enabled and after.visible_sectors == native:
        if not sysfs.rescan_disk(identity.name, sys_root):
            log.warning("HPA removed on %s but the kernel size was not re-read", identity.path)
        log.info("HPA removed on %s: %s -> %s sectors", identity.path, visible, native)
        return AreaFinding("hpa", "removed", native, visible, native, evidence)
    found.warnings.append(
        f"the drive refused to remove its HPA: {hpa.hidden_sectors} sectors not erased"
    )
    still = after.visible_sectors if after is not None else None
    return AreaFinding("hpa", "failed", native, visible, still, evidence)


def detect_dco(identity: DiskIdentity, native: int, runner: Runner, found: HiddenAreas) -> None:
    """A DCO whose real max lies beyond the native max: said, recorded, left in place."""
    try:
        caps, identify = ata.read_identify(identity.path, runner)
    except CommandError:
        return
    if not caps.dco_feature:
        return
    real, dco_ev = ata.read_dco_real_max(identity.path, runner)
    evidence = [identify, dco_ev]
    if real is None:
        found.findings.append(AreaFinding("dco", "not_supported", None, native, native, evidence))
    elif real > native:
        found.warnings.append(
            f"a DCO hides {real - native} sectors beyond the native max: left in place, "
            "not erased (restoring a DCO can make a drive unusable)"
        )
        found.findings.append(AreaFinding("dco", "left_in_place", real, native, native, evidence))
    else:
        found.findings.append(AreaFinding("dco", "none_found", real, native, native, evidence))
