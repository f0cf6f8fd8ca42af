"""Firmware purge progress and stop (issue 13): run_sanitize passes the purge's progress
on (NVMe SPROG, ATA estimated time) and marks the firmware phase unstoppable, on a
block-erase-only NVMe's recorded answers (SSSTC CA6, tests/fixtures/devices/SOURCES.md)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from station.cli.progress_line import ProgressPrinter
from station.devices import sysfs
from station.devices.firmware_erase import estimated_percent
from station.devices.runner import ReplayRunner
from station.domain.disk import Bus, MediaKind
from station.domain.progress import NO_STOP, ProgressEvent
from station.domain.results import Result
from station.jobs.profiles import load_wipe_profile
from station.jobs.sanitize import run_sanitize
from station.jobs.wipe import WipeRequest
from tests.wipe_helpers import MIB, inspect_as, random_disk

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def test_an_nvme_block_erase_shows_its_progress_and_says_it_cannot_be_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = random_disk(tmp_path, 16 * MIB)
    # The controller shows one namespace (sysfs, the layer below): Sanitize is allowed.
    monkeypatch.setattr(sysfs, "nvme_namespaces", lambda *_a, **_k: {1})
    runner = ReplayRunner(CASES / "nvme-ssstc-ca6-block-erase-only", device=str(disk))

    def erase(_argv: tuple[str, ...]) -> None:  # what the drive does to its data
        with disk.open("r+b") as handle:
            handle.write(bytes(16 * MIB))

    runner.side_effects[("nvme", "sanitize", str(disk), "--sanact=2")] = erase
    events: list[ProgressEvent] = []
    request = WipeRequest(
        str(disk), load_wipe_profile("nist-purge"), inspect=inspect_as(Bus.NVME, MediaKind.NVME)
    )
    outcome = run_sanitize(request, runner, on_event=events.append)
    assert outcome.purge is not None and outcome.purge.purged
    assert outcome.result is Result.PURGED
    assert outcome.plan is not None
    assert outcome.plan.label.en == "Purge (NVMe Sanitize, Block Erase)"
    firmware = [e for e in events if e.phase == "purge"]
    # Announced at 0 % before the command, SPROG 23297/65536 = 36 %, then 100 %.
    assert [e.bytes_done for e in firmware] == [0, 36, 100]
    assert all(e.unstoppable for e in firmware)
    assert not any(e.unstoppable for e in events if e.phase != "purge")


def test_ata_estimated_time_never_reaches_100_before_the_drive_answers() -> None:
    assert estimated_percent(60, 120) == 50
    assert estimated_percent(500, 120) == 99
    assert estimated_percent(5, 0) == 0


def test_the_terminal_says_once_that_the_purge_cannot_be_stopped() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    for done in (0, 50):
        printer(ProgressEvent("purge", done, 100, 0.0, None, 1.0, unstoppable=True))
    assert stream.getvalue().count(NO_STOP[1]) == 1
