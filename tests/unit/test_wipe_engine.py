"""The wipe job on disk image files: passes, verification, checkpoints, cancellation and
failing sectors. Failing sectors are injected below the jobs layer (a BlockTarget whose
pwrite/pread fail on chosen ranges); the kernel's own failures are the VM tier's job."""

from __future__ import annotations

import errno
import itertools
import threading
from pathlib import Path

import pytest

from station.devices.blockio import BlockTarget
from station.domain.progress import ProgressEvent
from station.domain.results import Result
from station.jobs.checkpoint import CheckpointStore
from station.jobs.profiles import load_wipe_profile
from station.jobs.wipe import WipeRequest, reverify, run_wipe
from tests.wipe_helpers import MIB, custom_profile, expected_bytes, fill_random, read_all

SIZE = 96 * MIB


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(b"")
    with path.open("r+b") as handle:
        handle.truncate(SIZE)
    fill_random(path, SIZE)
    return path


@pytest.mark.parametrize("name", ["nist-clear", "nist-clear-full", "flash-clear", "random-clear"])
def test_each_profile_leaves_exactly_the_last_pattern(disk: Path, name: str) -> None:
    events: list[ProgressEvent] = []
    report = run_wipe(WipeRequest(str(disk), load_wipe_profile(name)), on_event=events.append)
    assert report.result is Result.CLEARED, report.reasons
    assert read_all(disk) == expected_bytes(report, SIZE)
    assert report.verification is not None and report.verification.completed
    assert not report.verification.mismatches
    assert events and events[-1].bytes_done == events[-1].bytes_total
    assert {e.phase for e in events} == {"overwrite", "verify"}


def test_sampled_verification_records_seed_and_coverage(disk: Path) -> None:
    report = run_wipe(WipeRequest(str(disk), load_wipe_profile("random-clear")))
    verification = report.verification
    assert verification is not None and verification.mode == "sampled"
    assert verification.seed_hex and verification.subsections == 1000
    assert 10.0 <= verification.coverage_percent < 30.0
    assert verification.bytes_read < SIZE // 3


def test_sampled_verification_catches_a_corrupted_range(disk: Path) -> None:
    report = run_wipe(WipeRequest(str(disk), load_wipe_profile("nist-clear")))
    assert report.result is Result.CLEARED
    with disk.open("r+b") as handle:  # the first MiB is always sampled
        handle.seek(300 * 1024)
        handle.write(b"\x01" * 4096)
    again = reverify(str(disk), report)
    assert again.seed_hex == report.verification.seed_hex  # type: ignore[union-attr]
    assert [(m.offset, m.length) for m in again.mismatches] == [(300 * 1024, 4096)]


def _run_cancelled_halfway(disk: Path, tmp_path: Path, store: CheckpointStore):
    """A one-pass random wipe with checkpoints every 8 MiB, cancelled past half the disk."""
    profile = custom_profile(
        tmp_path,
        "passes: [{pattern: random}]\nverification: {mode: full}\ncheckpoint_every_mib: 8\n",
    )
    cancel = threading.Event()

    def stop_midway(event: ProgressEvent) -> None:
        if event.phase == "overwrite" and event.bytes_done >= SIZE // 2:
            cancel.set()

    ticking = itertools.count().__next__  # a clock that moves, so every chunk reports progress
    first = run_wipe(
        WipeRequest(str(disk), profile, checkpoints=store),
        on_event=stop_midway,
        cancel=cancel,
        clock=lambda: float(ticking()),
    )
    return profile, first


def test_cancel_stops_between_chunks_and_the_next_run_resumes(disk: Path, tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "checkpoints")
    profile, first = _run_cancelled_halfway(disk, tmp_path, store)
    assert first.stopped == "cancelled" and first.result is Result.FAILED
    assert "cancelled by the operator before the end" in first.reasons
    assert SIZE // 2 <= first.passes[0].bytes_written < SIZE
    second = run_wipe(WipeRequest(str(disk), profile, checkpoints=store))
    assert second.resumed and second.result is Result.CLEARED
    assert second.passes[0].resumed_from is not None and second.passes[0].resumed_from > 0
    assert second.passes[0].random_key_hex == first.passes[0].random_key_hex
    assert read_all(disk) == expected_bytes(second, SIZE)
    assert list((tmp_path / "checkpoints").iterdir()) == []


def test_fresh_ignores_a_checkpoint(disk: Path, tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "checkpoints")
    profile, first = _run_cancelled_halfway(disk, tmp_path, store)
    assert first.stopped == "cancelled"
    assert list((tmp_path / "checkpoints").iterdir()), "the first run left no checkpoint"
    report = run_wipe(WipeRequest(str(disk), profile, checkpoints=store, fresh=True))
    assert not report.resumed and report.result is Result.CLEARED
    assert report.passes[0].resumed_from is None
    assert report.passes[0].random_key_hex != first.passes[0].random_key_hex
    assert read_all(disk) == expected_bytes(report, SIZE)


class FailingTarget(BlockTarget):
    """A real file target whose chosen sectors fail with EIO (or ENODEV: device gone)."""

    bad: tuple[int, int] = (0, 0)
    fail_times: int | None = None  # None: the bad range never works; N: fails N times, then works
    gone_after: int | None = None
    read_bad: tuple[int, int] = (0, 0)

    def _hits(self, span: tuple[int, int], offset: int, length: int) -> bool:
        return offset < span[1] and span[0] < offset + length

    def write_at(self, buf: memoryview, offset: int) -> None:
        if self.gone_after is not None and offset >= self.gone_after:
            raise OSError(errno.ENODEV, "No such device")
        if self._hits(self.bad, offset, len(buf)) and self.fail_times != 0:
            if self.fail_times is not None:
                self.fail_times -= 1
            raise OSError(errno.EIO, "Input/output error")
        super().write_at(buf, offset)

    def read_into(self, buf: memoryview, offset: int) -> int:
        if self._hits(self.read_bad, offset, len(buf)):
            raise OSError(errno.EIO, "Input/output error")
        return super().read_into(buf, offset)


def failing(**settings: object) -> object:
    def opener(path: str) -> BlockTarget:
        plain = BlockTarget.open(path, write=True)
        target = FailingTarget(
            plain.path,
            plain.fd,
            size=plain.size,
            logical_block_size=512,
            physical_block_size=512,
            is_block_device=False,
            direct_io=plain.direct_io,
            rdev=0,
        )
        for key, value in settings.items():
            setattr(target, key, value)
        return target

    return opener


def test_failing_sectors_are_recorded_and_the_pass_continues(disk: Path) -> None:
    """Sectors that can be neither written nor read: listed, and the rest is cleared."""
    bad = (40 * MIB + 4096, 40 * MIB + 4096 + 8 * 512)
    request = WipeRequest(
        str(disk),
        load_wipe_profile("nist-clear-full"),
        open_target=failing(bad=bad, read_bad=bad),  # type: ignore[arg-type]
    )
    report = run_wipe(request)
    assert report.result is Result.CLEARED_WITH_WARNINGS, report.reasons
    assert [(r.offset, r.length) for r in report.passes[0].bad_ranges] == [(bad[0], 8 * 512)]
    assert report.verification is not None
    assert [(r.offset, r.length) for r in report.verification.unreadable] == [(bad[0], 8 * 512)]
    data = read_all(disk)
    assert data[: bad[0]] == bytes(bad[0]) and data[bad[1] :] == bytes(SIZE - bad[1])


def test_unwritten_sectors_that_still_read_old_data_fail_the_wipe(disk: Path) -> None:
    """Old data still readable is not erased, whatever the write errors say."""
    bad = (40 * MIB, 40 * MIB + 4096)
    request = WipeRequest(
        str(disk),
        load_wipe_profile("nist-clear-full"),
        open_target=failing(bad=bad),  # type: ignore[arg-type]
    )
    report = run_wipe(request)
    assert report.result is Result.FAILED
    assert report.verification is not None
    assert [(m.offset, m.length) for m in report.verification.mismatches] == [(bad[0], 4096)]


def test_transient_errors_are_retried_without_a_bad_range(disk: Path) -> None:
    request = WipeRequest(
        str(disk),
        load_wipe_profile("nist-clear-full"),
        open_target=failing(bad=(8 * MIB, 8 * MIB + 512), fail_times=2),  # type: ignore[arg-type]
    )
    report = run_wipe(request)
    assert report.result is Result.CLEARED and not report.passes[0].bad_ranges


def test_too_many_bad_sectors_fail_the_wipe(disk: Path) -> None:
    request = WipeRequest(
        str(disk),
        load_wipe_profile("flash-clear"),  # max_bad_sectors: 0
        open_target=failing(bad=(MIB, MIB + 512)),  # type: ignore[arg-type]
    )
    report = run_wipe(request)
    assert report.result is Result.FAILED and report.stopped == "media_errors"


def test_unreadable_sectors_during_verification_are_listed(disk: Path) -> None:
    request = WipeRequest(
        str(disk),
        load_wipe_profile("nist-clear-full"),
        open_target=failing(read_bad=(2 * MIB, 2 * MIB + 1024)),  # type: ignore[arg-type]
    )
    report = run_wipe(request)
    assert report.result is Result.CLEARED_WITH_WARNINGS
    assert report.verification is not None and not report.verification.mismatches
    # A file target is narrowed down in 4 KiB units (its O_DIRECT alignment).
    assert [(r.offset, r.length) for r in report.verification.unreadable] == [(2 * MIB, 4096)]


def test_a_target_that_disappears_ends_failed_with_the_reason(disk: Path) -> None:
    request = WipeRequest(
        str(disk),
        load_wipe_profile("nist-clear"),
        open_target=failing(gone_after=32 * MIB),  # type: ignore[arg-type]
    )
    report = run_wipe(request)
    assert report.result is Result.FAILED and report.stopped == "target_gone"
    assert any("disappeared" in reason for reason in report.reasons)
