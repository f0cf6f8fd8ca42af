"""Read back what was written, bypassing the page cache, and check each range's sha256.

A batch reads its N targets in parallel, piece by piece, and hashes one of them (the
reference); every other target's piece is compared byte for byte with the reference's
(memcmp, far cheaper than sha256). A target whose bytes equal the reference's all along a
range has that range's digest; one that differs from it takes over a copy of the
reference's hash state at that piece and is hashed on its own from there. So each target
is still checked against the block map's sha256, and a batch hashes about once, not N times.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from station.devices.blockio import BlockTarget, aligned_buffer
from station.errors import JobCancelled

if TYPE_CHECKING:
    from hashlib import _Hash

CHUNK = 8 * 1024 * 1024


@dataclass
class ReadbackResult:
    """Per target: the (offset, end) of ranges that did not read back, or the read error."""

    mismatches: list[tuple[int, int]] = field(default_factory=list)
    error: OSError | None = None


def _read(target: BlockTarget, view: memoryview, offset: int) -> int:
    return target.read_into(view, offset)


class _Span:
    """One mapped range being checked on every live target."""

    def __init__(self, reference: int) -> None:
        self.reference = reference
        self.hash = hashlib.sha256()
        self.own: dict[int, _Hash] = {}  # target -> its own hash, once it left the reference

    def feed(self, data: dict[int, memoryview]) -> None:
        if self.reference not in data:  # the reference failed: the others go on their own
            for index in data:
                self.own.setdefault(index, self.hash.copy())
            self.reference = -1
        if self.reference >= 0:
            ref = data[self.reference].tobytes()
            for index, view in data.items():
                if index == self.reference:
                    continue
                if index not in self.own:
                    if len(view) == len(ref) and ref.startswith(view):
                        continue
                    self.own[index] = self.hash.copy()
                self.own[index].update(view)
            self.hash.update(ref)
            return
        for index, view in data.items():
            self.own[index].update(view)

    def digest(self, index: int) -> str:
        return self.own.get(index, self.hash).hexdigest()


def readback_many(
    targets: list[BlockTarget],
    spans: list[tuple[int, int, str]],
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[ReadbackResult]:
    """Read every mapped range back from every target; one result per target, in order.

    A target that fails to read drops out with its error; the others go on. The next
    piece of every target is read in helper threads while the current one is checked.
    """
    results = [ReadbackResult() for _ in targets]
    for target in targets:
        target.drop_cache()
    pieces = [
        (at, min(CHUNK, end - at), index)
        for index, (start, end, _) in enumerate(spans)
        for at in range(start, end, CHUNK)
    ]
    buffers = [
        [memoryview(aligned_buffer(CHUNK)), memoryview(aligned_buffer(CHUNK))] for _ in targets
    ]
    live = list(range(len(targets)))
    span: _Span | None = None
    done = 0
    with ThreadPoolExecutor(max_workers=len(targets), thread_name_prefix="readback") as pool:

        def submit(number: int) -> dict[int, Future[int]]:
            at, length, _ = pieces[number]
            return {
                k: pool.submit(_read, targets[k], buffers[k][number % 2][:length], at) for k in live
            }

        pending = submit(0) if pieces else {}
        for number, (at, length, index) in enumerate(pieces):
            if cancel is not None and cancel.is_set():
                for future in pending.values():
                    future.cancel()
                raise JobCancelled(f"read-back cancelled at byte {at}")
            data: dict[int, memoryview] = {}
            for k, future in pending.items():
                try:
                    data[k] = buffers[k][number % 2][: future.result()]
                except OSError as exc:
                    results[k].error = exc
                    live.remove(k)
            if not live:
                break
            if number + 1 < len(pieces):
                pending = submit(number + 1)
            start, end, digest = spans[index]
            if at == start or span is None:
                span = _Span(live[0])
            span.feed(data)
            if at + length == end:
                for k in live:
                    if span.digest(k) != digest:
                        results[k].mismatches.append((start, end))
            done += length
            if tick is not None:
                tick(done)
    return results
