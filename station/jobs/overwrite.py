"""One overwrite pass: stream a pattern over the whole target with large aligned writes.

Two writes are in flight at once (WRITE_DEPTH), so the device always has the next chunk
queued while the previous one completes; for random passes the chunk after them is
filled meanwhile, in two parts on two helper threads (the AES fill releases the GIL,
os.pwrite too).
Results are settled in order, so progress, checkpoints and bad-sector ranges stay
sequential, and a checkpoint never covers a chunk whose write has not completed.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from station.devices.blockio import BlockTarget, aligned_buffer
from station.domain.profiles import IoErrorPolicy
from station.domain.wipe_report import PassReport
from station.errors import JobCancelled
from station.jobs.patterns import PatternSource
from station.jobs.resilient_io import BadSectors, run_chunk

DEFAULT_CHUNK = 8 * 1024 * 1024
# One write at a time leaves the device idle between the return of a write and the issue
# of the next; two in flight measured ~1.3x faster on loop devices (docs/performance.md).
WRITE_DEPTH = 2
FILL_THREADS = max(1, min(2, os.cpu_count() or 1))
PART_ALIGN = 4096  # fill parts start on a page (and so on an AES block) boundary


def write_pass(
    target: BlockTarget,
    source: PatternSource,
    report: PassReport,
    *,
    start: int,
    policy: IoErrorPolicy,
    tick: Callable[[int], None],
    checkpoint: Callable[[int], None],
    checkpoint_every: int,
    cancel: threading.Event | None = None,
    chunk: int = DEFAULT_CHUNK,
    depth: int = WRITE_DEPTH,
) -> None:
    """Write `source` from `start` to the end; updates `report` as it goes.

    `checkpoint(offset)` is called after the target was flushed up to `offset`.
    Raises JobCancelled, TargetGone or MediaError (too many bad sectors).
    """
    size = target.size
    chunk = max(target.alignment, chunk // target.alignment * target.alignment)
    constant = not source.is_random
    # A constant pattern is one buffer shared by every write; a random one needs a buffer
    # per write in flight plus the one being filled.
    slots = 1 if constant else depth + 1
    views = [memoryview(aligned_buffer(chunk))[:chunk] for _ in range(slots)]
    if constant:
        source.fill(views[0], 0)
    bad = BadSectors(report.bad_ranges, target.logical_block_size, policy.max_bad_sectors)
    pieces = [(at, min(chunk, size - at)) for at in range(start, size, chunk)]
    last_checkpoint = start

    def fill(index: int) -> list[Future[None]]:
        # A fast disk writes faster than one core makes AES-CTR (the fill releases the
        # GIL), so each chunk is filled in FILL_THREADS parts at once.
        at, length = pieces[index]
        view = views[index % slots]
        part = max(PART_ALIGN, length // FILL_THREADS // PART_ALIGN * PART_ALIGN)
        return [
            fillers.submit(source.fill, view[lo : min(lo + part, length)], at + lo)
            for lo in range(0, length, part)
        ]

    def write_piece(index: int) -> None:
        at, length = pieces[index]
        target.write_at(views[index % slots][:length], at)

    def settle(index: int, pending: Future[None]) -> None:
        nonlocal last_checkpoint
        at, length = pieces[index]
        try:
            pending.result()
        except OSError as exc:
            gone = target.gone_error(exc)
            if gone is not None:
                raise gone from exc
            view = views[index % slots]

            def rewrite(offset: int, count: int) -> None:
                target.write_at(view[offset - at : offset - at + count], offset)

            run_chunk(rewrite, at, length, target, policy.retries, bad)
        done = at + length
        report.bytes_written = done
        tick(done)
        if done - last_checkpoint >= checkpoint_every and done < size:
            target.flush()
            checkpoint(done)
            last_checkpoint = done

    with (
        ThreadPoolExecutor(max_workers=FILL_THREADS, thread_name_prefix="fill") as fillers,
        ThreadPoolExecutor(max_workers=depth, thread_name_prefix="write") as writers,
    ):
        filling = fill(0) if not constant and pieces else []
        writing: deque[tuple[int, Future[None]]] = deque()
        try:
            for index in range(len(pieces)):
                if cancel is not None and cancel.is_set():
                    done = report.bytes_written
                    raise JobCancelled(f"cancelled at byte {done} of pass {report.index}")
                for part in filling:
                    part.result()
                filling = []
                writing.append((index, writers.submit(write_piece, index)))
                # The next fill starts before waiting on the oldest write, so filling
                # overlaps with `depth` writes in flight: writes in flight use the buffers
                # of index-depth+1 .. index, and with depth+1 slots never the one of
                # index+1.
                if not constant and index + 1 < len(pieces):
                    filling = fill(index + 1)
                if len(writing) == depth:
                    settle(*writing.popleft())
            while writing:
                settle(*writing.popleft())
        finally:
            for part in filling:
                part.cancel()
    target.flush()
