"""Stream one decompressed image to one or several targets at once, overlapping the work.

    producer thread: read the compressed file, decompress (zstandard releases the GIL),
                     hash each mapped range as it passes ──► chunk queue of each target
    one writer thread per target: pwrite with O_DIRECT (releases the GIL)

Buffers come from a small pool and go back once every target wrote them, so the image is
read and decompressed once for a batch of N disks. A range whose sha256 does not match,
or a stream that ends early or fails to decompress, stops every target: the caller marks
them not deployed. A target that fails on its own (I/O error, unplugged) drops out; the
others carry on, each with its own outcome.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from station.devices.blockio import BlockTarget, aligned_buffer
from station.errors import ImageError, JobCancelled
from station.imaging.zeroing import zero_range

CHUNK = 8 * 1024 * 1024
POOL = 4
ZERO_GRAIN = 1024 * 1024
ZEROS = bytes(ZERO_GRAIN)


class ByteStream(Protocol):
    def readinto(self, buffer: memoryview) -> int: ...


@dataclass
class TargetRun:
    """What happened on one target; `error` is None when every write landed."""

    target: BlockTarget
    skip_zeros: bool
    bytes_written: int = 0
    zero_bytes_skipped: int = 0
    unmapped_bytes_zeroed: int = 0
    error: str | None = None
    inbox: queue.Queue[_Chunk | None] = field(default_factory=lambda: queue.Queue(POOL + 1))


@dataclass
class _Chunk:
    offset: int
    view: memoryview
    slot: int
    mapped: list[tuple[int, int]]  # absolute (start, end) pieces of mapped ranges
    unmapped: list[tuple[int, int]]
    refs: int


def _split(
    offset: int, end: int, spans: list[tuple[int, int, str]], first: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int]:
    """Mapped and unmapped pieces of [offset, end); `first` is the first span to look at."""
    mapped: list[tuple[int, int]] = []
    unmapped: list[tuple[int, int]] = []
    at, index = offset, first
    while at < end:
        while index < len(spans) and spans[index][1] <= at:
            index += 1
        if index < len(spans) and spans[index][0] <= at:
            stop = min(end, spans[index][1])
            mapped.append((at, stop))
        else:
            stop = min(end, spans[index][0]) if index < len(spans) else end
            unmapped.append((at, stop))
        at = stop
    return mapped, unmapped, index


class _RangeChecker:
    """sha256 of each mapped range, fed in stream order; raises on the first mismatch."""

    def __init__(self, spans: list[tuple[int, int, str]]) -> None:
        self.spans, self.index, self.hash = spans, 0, hashlib.sha256()

    def feed(self, start: int, data: memoryview) -> None:
        end = start + len(data)
        while self.index < len(self.spans) and start < end:
            s_start, s_end, digest = self.spans[self.index]
            if end <= s_start:
                return
            lo, hi = max(start, s_start), min(end, s_end)
            self.hash.update(data[lo - start : hi - start])
            if hi == s_end:
                if self.hash.hexdigest() != digest:
                    raise ImageError(
                        f"image data does not match its block map at bytes {s_start}-{s_end} "
                        "(corrupt or altered image)"
                    )
                self.index, self.hash = self.index + 1, hashlib.sha256()
            start, data = hi, data[hi - start :]


def _write_pieces(run: TargetRun, chunk: _Chunk) -> None:
    target = run.target
    for start, end in chunk.mapped:
        data = chunk.view[start - chunk.offset : end - chunk.offset]
        if not run.skip_zeros:
            target.write_at(data, start)
            run.bytes_written += end - start
            continue
        # After a zero-verified wipe, a MiB of zeros is already on the disk: skip it.
        at = 0
        while at < len(data):
            piece = data[at : at + ZERO_GRAIN]
            if piece == ZEROS[: len(piece)]:
                run.zero_bytes_skipped += len(piece)
            else:
                target.write_at(piece, start + at)
                run.bytes_written += len(piece)
            at += len(piece)
    for start, end in chunk.unmapped:
        if run.skip_zeros:
            run.zero_bytes_skipped += end - start
        else:
            zero_range(target, start, end - start)
            run.unmapped_bytes_zeroed += end - start


class StreamWriter:
    """Writes `stream` (a decompressed raw image of `image_size` bytes) to every run."""

    def __init__(
        self,
        stream: ByteStream,
        image_size: int,
        spans: list[tuple[int, int, str]],
        runs: list[TargetRun],
        *,
        tick: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self.stream, self.image_size, self.spans, self.runs = stream, image_size, spans, runs
        self.tick, self.cancel, self.chunk = tick, cancel, chunk
        self.buffers = [aligned_buffer(chunk) for _ in range(POOL)]
        self.free: queue.Queue[int] = queue.Queue()
        for slot in range(POOL):
            self.free.put(slot)
        self.lock = threading.Lock()

    def _release(self, chunk: _Chunk) -> None:
        with self.lock:
            chunk.refs -= 1
            done = chunk.refs == 0
        if done:
            self.free.put(chunk.slot)

    def _writer(self, run: TargetRun) -> None:
        while True:
            chunk = run.inbox.get()
            if chunk is None:
                return
            try:
                if run.error is None:
                    _write_pieces(run, chunk)
            except OSError as exc:
                gone = run.target.gone_error(exc)
                run.error = gone.one_line() if gone else f"write failed: {exc.strerror or exc}"
            finally:
                self._release(chunk)

    def _fill(self, view: memoryview, offset: int) -> None:
        got = 0
        while got < len(view):
            try:
                read = self.stream.readinto(view[got:])
            except Exception as exc:  # zstd/gzip errors have no common base class
                raise ImageError(f"image stream is corrupt at byte {offset + got}: {exc}") from exc
            if read <= 0:
                raise ImageError(
                    f"image stream ended at byte {offset + got} of {self.image_size} (truncated)"
                )
            got += read

    def run(self) -> None:
        """Write everything; raises ImageError/JobCancelled for the whole batch."""
        threads = [
            threading.Thread(target=self._writer, args=(run,), name=f"write-{index}", daemon=True)
            for index, run in enumerate(self.runs)
        ]
        for thread in threads:
            thread.start()
        checker = _RangeChecker(self.spans)
        offset, first = 0, 0
        try:
            while offset < self.image_size:
                if self.cancel is not None and self.cancel.is_set():
                    raise JobCancelled(f"cancelled at byte {offset} of the image")
                if all(run.error is not None for run in self.runs):
                    return
                slot = self.free.get()
                length = min(self.chunk, self.image_size - offset)
                view = memoryview(self.buffers[slot])[:length]
                self._fill(view, offset)
                checker.feed(offset, view)
                mapped, unmapped, first = _split(offset, offset + length, self.spans, first)
                chunk = _Chunk(offset, view, slot, mapped, unmapped, len(self.runs))
                for run in self.runs:
                    run.inbox.put(chunk)
                offset += length
                if self.tick is not None:
                    self.tick(offset)
        finally:
            for run in self.runs:
                run.inbox.put(None)
            for thread in threads:
                thread.join()
