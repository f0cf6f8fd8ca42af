"""One overwrite pass: stream a pattern over the whole target with large aligned writes.

While one buffer is written, the next is filled in a helper thread (random passes spend
real CPU on AES-CTR); os.pwrite releases the GIL, so both proceed at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from station.devices.blockio import BlockTarget, aligned_buffer
from station.domain.profiles import IoErrorPolicy
from station.domain.wipe_report import PassReport
from station.errors import JobCancelled
from station.jobs.patterns import PatternSource
from station.jobs.resilient_io import BadSectors, run_chunk

DEFAULT_CHUNK = 8 * 1024 * 1024


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
) -> None:
    """Write `source` from `start` to the end; updates `report` as it goes.

    `checkpoint(offset)` is called after the target was flushed up to `offset`.
    Raises JobCancelled, TargetGone or MediaError (too many bad sectors).
    """
    size = target.size
    chunk = max(target.alignment, chunk // target.alignment * target.alignment)
    buffers = [aligned_buffer(chunk), aligned_buffer(chunk)]
    views = [memoryview(b)[:chunk] for b in buffers]
    constant = not source.is_random
    if constant:
        source.fill(views[0], 0)
        views[1][:] = views[0]
    bad = BadSectors(report.bad_ranges, target.logical_block_size, policy.max_bad_sectors)
    offset = start
    last_checkpoint = start

    def write(at: int, length: int) -> None:
        target.write_at(views[current][at - offset : at - offset + length], at)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fill") as pool:
        pending: Future[None] | None = None
        if not constant and offset < size:
            pending = pool.submit(source.fill, views[0][: min(chunk, size - offset)], offset)
        current = 0
        try:
            while offset < size:
                if cancel is not None and cancel.is_set():
                    raise JobCancelled(f"cancelled at byte {offset} of pass {report.index}")
                length = min(chunk, size - offset)
                if pending is not None:
                    pending.result()
                    following = offset + length
                    pending = None
                    if following < size:
                        nxt = views[1 - current][: min(chunk, size - following)]
                        pending = pool.submit(source.fill, nxt, following)
                run_chunk(write, offset, length, target, policy.retries, bad)
                offset += length
                report.bytes_written = offset
                tick(offset)
                if offset - last_checkpoint >= checkpoint_every and offset < size:
                    target.flush()
                    checkpoint(offset)
                    last_checkpoint = offset
                if not constant:
                    current = 1 - current
        finally:
            if pending is not None:
                pending.cancel()
    target.flush()
