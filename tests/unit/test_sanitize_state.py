"""A drive whose sanitize is still running (it survives power cycles) is refused on start."""

from __future__ import annotations

from pathlib import Path

from station.devices.runner import ReplayRunner
from station.devices.sanitize_state import sanitize_running
from station.domain.disk import Bus, DiskIdentity

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def identity(bus: Bus, path: str) -> DiskIdentity:
    return DiskIdentity(path=path, name=path.rsplit("/", 1)[-1], size_bytes=1 << 30, bus=bus)


def test_ata_sanitize_in_process_is_seen() -> None:
    runner = ReplayRunner(CASES / "ata-sanitize-status-in-process", device="/dev/sdq")
    assert sanitize_running(identity(Bus.ATA, "/dev/sdq"), runner) is True
    assert runner.calls == [("hdparm", "--sanitize-status", "/dev/sdq")]


def test_nvme_sanitize_in_progress_is_seen() -> None:
    runner = ReplayRunner(CASES / "nvme-sanitize-block-erase-progress", device="/dev/nvme9n1")
    assert sanitize_running(identity(Bus.NVME, "/dev/nvme9n1"), runner) is True


def test_an_idle_drive_and_other_buses_are_not_refused() -> None:
    runner = ReplayRunner(CASES / "nvme-healthy-970evoplus", device="/dev/nvme9n1")
    assert sanitize_running(identity(Bus.USB, "/dev/sdz"), runner) is False
    assert runner.calls == []
