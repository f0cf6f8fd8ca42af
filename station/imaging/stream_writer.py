"""Stream one decompressed image to one or several targets at once, overlapping the work.

    decompress thread: read the compressed file, decompress the next piece (zstandard
                       releases the GIL) while
    producer thread:   hashes the piece before it, range by range (sha256 releases the
                       GIL too) ──► chunk queue of each target
    one writer thread per target: pwrite with O_DIRECT (releases the GIL)

The image arrives as pieces (offset, length, fill): `fill` puts the piece's bytes in a
buffer, or is None for a hole that holds no mapped byte (a framed image's hole is never
decompressed). Buffers come from a small pool and go back once every target wrote them, so
the image is read and decompressed once for a batch of N disks. Unmapped bytes are zeroed
in as few BLKZEROOUT calls as possible (contiguous pieces are merged per target).

A range whose sha256 does not match, or a stream that ends early or fails to
decompress, stops every target: the caller marks them not deployed. A target that fails on
its own (I/O error, unplugged) drops out; the others carry on, each with its own outcome.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from station.devices.blockio import BlockTarget, aligned_buffer
from station.errors import ImageError, JobCancelled
from station.imaging.zeroing import zero_range

CHUNK = 8 * 1024 * 1024
POOL = 5  # buffers: one being decompressed, one being hashed, the rest being written
ZERO_GRAIN = 1024 * 1024
ZEROS = bytes(ZERO_GRAIN)
ZERO_CALL_MAX = 1024 * 1024 * 1024  # one BLKZEROOUT at most this long: cancel stays prompt

Fill = Callable[[memoryview], None]
Piece = tuple[int, int, Fill | None]  # (offset, length, fill or None for a hole)


class ByteStream(Protocol):
    def readinto(self, buffer: memoryview) -> int: ...


def stream_pieces(stream: ByteStream, image_size: int, chunk: int = CHUNK) -> Iterator[Piece]:
    """The whole image as consecutive pieces read from one decompressed stream."""

    def fill(view: memoryview, offset: int) -> None:
        got = 0
        while got < len(view):
            try:
                read = stream.readinto(view[got:])
            except Exception as exc:  # zstd/gzip errors have no common base class
                raise ImageError(f"image stream is corrupt at byte {offset + got}: {exc}") from exc
            if read <= 0:
                raise ImageError(
                    f"image stream ended at byte {offset + got} of {image_size} (truncated)"
                )
            got += read

    for offset in range(0, image_size, chunk):
        length = min(chunk, image_size - offset)
        yield offset, length, partial(fill, offset=offset)


@dataclass
class TargetRun:
    """What happened on one target; `error` is None when every write landed."""

    target: BlockTarget
    skip_zeros: bool
    bytes_written: int = 0
    zero_bytes_skipped: int = 0
    unmapped_bytes_zeroed: int = 0
    error: str | None = None
    pending_zero: tuple[int, int] | None = None  # unmapped bytes not zeroed yet
    inbox: queue.Queue[_Chunk | None] = field(default_factory=lambda: queue.Queue(POOL + 1))


@dataclass
class _Chunk:
    offset: int
    view: memoryview
    slot: int
    mapped: list[tuple[int, int]]  # absolute (start, end) pieces of mapped ranges
    unmapped: list[tuple[int, int]]
    refs: int
    zero_grains: set[int] = field(default_factory=set)  # mapped grain starts holding zeros


@dataclass
class _Pending:
    """A piece on its way: being decompressed into `view` (slot of the pool), or a hole."""

    offset: int
    length: int
    mapped: list[tuple[int, int]]
    unmapped: list[tuple[int, int]]
    slot: int = -1
    view: memoryview = field(default_factory=lambda: memoryview(b""))
    filled: Future[None] | None = None


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


def _zero_grains(chunk: _Chunk) -> None:
    """Which mapped grains are all zeros: computed once for every target that skips them."""
    for start, end in chunk.mapped:
        for at in range(start, end, ZERO_GRAIN):
            piece = chunk.view[at - chunk.offset : min(end, at + ZERO_GRAIN) - chunk.offset]
            if ZEROS.startswith(piece):
                chunk.zero_grains.add(at)


def flush_zeros(run: TargetRun) -> None:
    if run.pending_zero is None:
        return
    start, end = run.pending_zero
    run.pending_zero = None
    for at in range(start, end, ZERO_CALL_MAX):
        zero_range(run.target, at, min(end, at + ZERO_CALL_MAX) - at)
    run.unmapped_bytes_zeroed += end - start


def _write_pieces(run: TargetRun, chunk: _Chunk) -> None:
    target = run.target
    for start, end in chunk.mapped:
        data = chunk.view[start - chunk.offset : end - chunk.offset]
        if not run.skip_zeros:
            target.write_at(data, start)
            run.bytes_written += end - start
            continue
        # After a zero-verified wipe, a MiB of zeros is already on the disk: skip it.
        for at in range(0, len(data), ZERO_GRAIN):
            piece = data[at : at + ZERO_GRAIN]
            if start + at in chunk.zero_grains:
                run.zero_bytes_skipped += len(piece)
            else:
                target.write_at(piece, start + at)
                run.bytes_written += len(piece)
    for start, end in chunk.unmapped:
        if run.skip_zeros:
            run.zero_bytes_skipped += end - start
        elif run.pending_zero is not None and run.pending_zero[1] == start:
            run.pending_zero = (run.pending_zero[0], end)
        else:
            flush_zeros(run)
            run.pending_zero = (start, end)


class StreamWriter:
    """Writes `pieces` (a raw image of `image_size` bytes) to every run."""

    def __init__(
        self,
        pieces: Iterable[Piece],
        image_size: int,
        spans: list[tuple[int, int, str]],
        runs: list[TargetRun],
        *,
        tick: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
        chunk: int = CHUNK,
    ) -> None:
        self.pieces, self.image_size, self.spans, self.runs = pieces, image_size, spans, runs
        self.tick, self.cancel, self.chunk = tick, cancel, chunk
        self.buffers = [aligned_buffer(chunk) for _ in range(POOL)]
        self.free: queue.Queue[int] = queue.Queue()
        for slot in range(POOL):
            self.free.put(slot)
        self.lock = threading.Lock()

    def _release(self, chunk: _Chunk) -> None:
        if chunk.slot < 0:
            return  # a hole: no buffer to give back
        with self.lock:
            chunk.refs -= 1
            done = chunk.refs == 0
        if done:
            self.free.put(chunk.slot)

    def _writer(self, run: TargetRun) -> None:
        while True:
            chunk = run.inbox.get()
            try:
                if run.error is None:
                    if chunk is None:
                        flush_zeros(run)
                    else:
                        _write_pieces(run, chunk)
            except OSError as exc:
                gone = run.target.gone_error(exc)
                run.error = gone.one_line() if gone else f"write failed: {exc.strerror or exc}"
            finally:
                if chunk is not None:
                    self._release(chunk)
            if chunk is None:
                return

    def _dispatch(self, piece: _Pending, checker: _RangeChecker, skip_zeros: bool) -> None:
        """Hash a decompressed piece and hand it to every writer (a hole goes as it is)."""
        if piece.filled is None:
            chunk = _Chunk(piece.offset, memoryview(b""), -1, [], piece.unmapped, len(self.runs))
        else:
            piece.filled.result()  # re-raises the decompressor's ImageError
            checker.feed(piece.offset, piece.view)
            chunk = _Chunk(
                piece.offset, piece.view, piece.slot, piece.mapped, piece.unmapped, len(self.runs)
            )
            if skip_zeros:
                _zero_grains(chunk)
        for run in self.runs:
            run.inbox.put(chunk)
        if self.tick is not None:
            self.tick(piece.offset + piece.length)

    def run(self) -> None:
        """Write everything; raises ImageError/JobCancelled for the whole batch.

        The next piece is decompressed (GIL released) while the current one is hashed
        (GIL released too), so the two costs overlap instead of adding up."""
        threads = [
            threading.Thread(target=self._writer, args=(run,), name=f"write-{index}", daemon=True)
            for index, run in enumerate(self.runs)
        ]
        for thread in threads:
            thread.start()
        checker = _RangeChecker(self.spans)
        offset, first = 0, 0
        skip_zeros = any(run.skip_zeros for run in self.runs)
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="decompress") as filler:
                ahead: _Pending | None = None
                for start, length, fill in self.pieces:
                    if start != offset or length <= 0 or offset + length > self.image_size:
                        raise ImageError(f"image pieces do not tile the image at byte {offset}")
                    if self.cancel is not None and self.cancel.is_set():
                        raise JobCancelled(f"cancelled at byte {offset} of the image")
                    if all(run.error is not None for run in self.runs):
                        return
                    mapped, unmapped, first = _split(offset, offset + length, self.spans, first)
                    piece = _Pending(offset, length, mapped, unmapped)
                    if fill is None:
                        if mapped:
                            raise ImageError(f"image piece at byte {offset} holds mapped bytes")
                    else:
                        piece.slot = self.free.get()
                        piece.view = memoryview(self.buffers[piece.slot])[:length]
                        piece.filled = filler.submit(fill, piece.view)
                    if ahead is not None:
                        self._dispatch(ahead, checker, skip_zeros)
                    ahead = piece
                    offset += length
                if ahead is not None:
                    self._dispatch(ahead, checker, skip_zeros)
            if offset != self.image_size:
                raise ImageError(
                    f"image stream ended at byte {offset} of {self.image_size} (truncated)"
                )
        finally:
            for run in self.runs:
                run.inbox.put(None)
            for thread in threads:
                thread.join()
