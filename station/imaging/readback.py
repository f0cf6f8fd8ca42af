"""Read back what was written, bypassing the page cache, and check each range's sha256."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from station.devices.blockio import BlockTarget, aligned_buffer
from station.errors import JobCancelled

CHUNK = 8 * 1024 * 1024


def _read(target: BlockTarget, view: memoryview, offset: int) -> int:
    return target.read_into(view, offset)


def readback_mismatches(
    target: BlockTarget,
    spans: list[tuple[int, int, str]],
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[tuple[int, int]]:
    """The (offset, end) of every mapped range that does not read back as expected.

    The next piece is read in a helper thread while the current one is hashed.
    """
    target.drop_cache()
    pieces = [
        (at, min(CHUNK, end - at), index)
        for index, (start, end, _) in enumerate(spans)
        for at in range(start, end, CHUNK)
    ]
    buffers = [memoryview(aligned_buffer(CHUNK)), memoryview(aligned_buffer(CHUNK))]
    hashes = [hashlib.sha256() for _ in spans]
    bad: list[tuple[int, int]] = []
    done = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="readback") as pool:
        pending: Future[int] | None = None
        if pieces:
            at, length, _ = pieces[0]
            pending = pool.submit(_read, target, buffers[0][:length], at)
        for number, (at, length, index) in enumerate(pieces):
            if cancel is not None and cancel.is_set():
                raise JobCancelled(f"read-back cancelled at byte {at}")
            assert pending is not None
            got = pending.result()
            current = buffers[number % 2][:length]
            if number + 1 < len(pieces):
                nxt_at, nxt_len, _ = pieces[number + 1]
                pending = pool.submit(_read, target, buffers[(number + 1) % 2][:nxt_len], nxt_at)
            hashes[index].update(current[:got])
            start, end, digest = spans[index]
            if at + length == end and hashes[index].hexdigest() != digest:
                bad.append((start, end))
            done += length
            if tick is not None:
                tick(done)
    return bad
