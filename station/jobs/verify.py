"""Read back what a pass wrote, bypassing the page cache, and compare every byte read.

Full mode reads every byte; sampled mode reads the extents of station.domain.sampling.
The next piece is read in a helper thread while the current one is compared (and, for
random passes, while its expected bytes are regenerated from the key).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from station.devices.blockio import BlockTarget, aligned_buffer
from station.domain.sampling import Extent, covered_bytes, sampled_extents, sampling_is_possible
from station.domain.wipe_report import ByteRange, VerificationReport
from station.errors import JobCancelled, TargetGone
from station.jobs.overwrite import DEFAULT_CHUNK
from station.jobs.patterns import PatternSource
from station.jobs.resilient_io import BadSectors, run_chunk

MIB = 1024 * 1024
# Two reads in flight keep the device busy across the hand-over between threads; that
# matters most for sampled verification, whose ~2000 short extents are latency-bound.
READ_AHEAD = 2


def plan_extents(
    target: BlockTarget,
    mode: str,
    *,
    subsections: int,
    percent: float,
    full_below: int,
    seed: bytes | None = None,
) -> tuple[list[Extent], str, bytes | None, str | None]:
    """(extents, mode actually used, seed, reason when sampled became full)."""
    if mode == "full":
        return [Extent(0, target.size)], "full", None, None
    if target.size < full_below:
        return [Extent(0, target.size)], "full", None, "media smaller than the sampling threshold"
    align = target.alignment
    if not sampling_is_possible(target.size, align, subsections):
        return [Extent(0, target.size)], "full", None, "media too small to sample"
    seed = seed if seed is not None else os.urandom(16)
    return sampled_extents(target.size, align, seed, subsections, percent), "sampled", seed, None


def _pieces(extents: list[Extent], chunk: int) -> Iterator[tuple[int, int]]:
    for extent in extents:
        for offset in range(extent.offset, extent.end, chunk):
            yield offset, min(chunk, extent.end - offset)


def read_back(
    target: BlockTarget,
    source: PatternSource,
    extents: list[Extent],
    report: VerificationReport,
    *,
    retries: int,
    max_bad_sectors: int,
    tick: Callable[[int], None],
    cancel: threading.Event | None = None,
    chunk: int = DEFAULT_CHUNK,
    depth: int = READ_AHEAD,
) -> None:
    """Compare the target with `source` over `extents`; fills mismatches/unreadable in report.

    `depth` reads are in flight while a piece is compared (one buffer each, plus one).
    """
    target.drop_cache()
    chunk = max(target.alignment, chunk // target.alignment * target.alignment)
    report.coverage_percent = round(100.0 * covered_bytes(extents) / target.size, 3)
    pieces = list(_pieces(extents, chunk))
    slots = depth + 1
    buffers = [memoryview(aligned_buffer(chunk))[:chunk] for _ in range(slots)]
    expected_bytes = bytearray(chunk)
    expected = memoryview(expected_bytes)
    if not source.is_random:
        source.fill(expected, 0)
    bad = BadSectors(report.unreadable, target.logical_block_size, max_bad_sectors)

    def read_piece(index: int) -> int:
        offset, length = pieces[index]
        return target.read_into(buffers[index % slots][:length], offset)

    with ThreadPoolExecutor(max_workers=depth, thread_name_prefix="read") as pool:
        # Pieces index+1 .. index+depth are being read while piece `index` is compared.
        ahead = deque(pool.submit(read_piece, i) for i in range(min(depth, len(pieces))))
        for index, (offset, length) in enumerate(pieces):
            if cancel is not None and cancel.is_set():
                raise JobCancelled(f"verification cancelled at byte {offset}")
            got = _settle(ahead.popleft(), target, offset, length)
            if index + depth < len(pieces):
                ahead.append(pool.submit(read_piece, index + depth))
            view = buffers[index % slots][:length]
            if source.is_random:
                source.fill(expected[:length], offset)
            if got != length:
                _reread(target, view, offset, length, retries, bad)
                _mask_unreadable(view, expected, offset, report.unreadable)
            # bytearray != memoryview is one memcmp (~10 GB/s); memoryview != memoryview
            # compares item by item (~0.25 GB/s, slower than the disk being checked).
            want = expected_bytes if length == chunk else expected_bytes[:length]
            if want != view:
                _locate(view, expected[:length], offset, target.logical_block_size, report)
            report.bytes_read += length
            tick(report.bytes_read)
    report.completed = True


def _settle(pending: Future[int], target: BlockTarget, offset: int, length: int) -> int:
    """The bytes the read-ahead got, or -1 when it failed (then the piece is re-read)."""
    try:
        return pending.result()
    except OSError as exc:
        gone = target.gone_error(exc)
        if gone is not None:
            raise gone from exc
        return -1


def _reread(
    target: BlockTarget, view: memoryview, offset: int, length: int, retries: int, bad: BadSectors
) -> None:
    """Re-read a piece that failed or came back short, sector by sector if need be;
    sectors that stay unreadable are recorded in `bad`."""

    def read(at: int, size: int) -> None:
        got = target.read_into(view[at - offset : at - offset + size], at)
        if got != size:
            if not target.still_present():
                raise TargetGone(
                    f"{target.path} disappeared during verification",
                    french=f"{target.path} a disparu pendant la vérification",
                )
            raise OSError(5, "short read")

    run_chunk(read, offset, length, target, retries, bad)


def _mask_unreadable(
    view: memoryview, expected: memoryview, base: int, unreadable: list[ByteRange]
) -> None:
    """Unreadable sectors are already counted as such; keep them out of the mismatches."""
    for bad in unreadable:
        start, end = max(bad.offset, base), min(bad.offset + bad.length, base + len(view))
        if start < end:
            view[start - base : end - base] = expected[start - base : end - base]


def _locate(
    got: memoryview, want: memoryview, base: int, sector: int, report: VerificationReport
) -> None:
    """Record the sectors that differ, merged into ranges."""
    for start in range(0, len(got), sector):
        end = min(start + sector, len(got))
        if got[start:end] == want[start:end]:
            continue
        last = report.mismatches[-1] if report.mismatches else None
        if last is not None and last.offset + last.length == base + start:
            report.mismatches[-1] = ByteRange(offset=last.offset, length=last.length + end - start)
        else:
            report.mismatches.append(ByteRange(offset=base + start, length=end - start))
