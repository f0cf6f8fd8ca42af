"""Is a firmware sanitize still running on this drive? ATA and NVMe sanitize survive a
power cycle (docs/sanitization.md, pitfall 5), so discovery asks before offering a disk."""

from __future__ import annotations

from station.devices import ata, nvme
from station.devices.runner import Runner, SubprocessRunner
from station.domain.disk import Bus, DiskIdentity
from station.errors import CommandError


def sanitize_running(identity: DiskIdentity, runner: Runner | None = None) -> bool:
    """True when the drive reports a sanitize in progress. Other buses cannot sanitize;
    a missing tool (not on a bench image) cannot tell, and then nothing is refused for it."""
    runner = runner or SubprocessRunner()
    try:
        if identity.bus is Bus.ATA:
            return ata.sanitize_in_progress(identity.path, runner)[0]
        if identity.bus is Bus.NVME:
            return nvme.sanitize_in_progress(identity.path, runner)[0]
    except CommandError:
        return False
    return False
