"""Format 1 deploy: stream disk.img.zst through the block map to one or more open targets."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

import zstandard

from station.errors import ImageError, JobCancelled
from station.imaging import bmap as bmapfile
from station.imaging import seek_table
from station.imaging.bmap import BlockMap
from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE
from station.imaging.readback import readback_many
from station.imaging.seek_table import Frame
from station.imaging.stream_writer import CHUNK, Piece, StreamWriter, TargetRun, stream_pieces

READ_SIZE = 1024 * 1024
READBACK_CANCELLED = "read-back cancelled"  # a run's error when the operator stopped it


def load_block_map(folder: Path) -> BlockMap:
    return bmapfile.parse(folder / BMAP_FILE)


def usable_frames(frames: list[Frame] | None) -> bool:
    """Whether a seek table can drive the deploy (else the file is read as one stream)."""
    return frames is not None and all(0 < f.size <= CHUNK for f in frames)


def check_structure(folder: Path, block_map: BlockMap) -> None:
    """Everything about the image's structure that can be known without decompressing,
    checked before any target is opened for writing (a format problem is refused, never
    a half-written disk): the seek table's shape and its sum against the file size and the
    block map, and at every offset it lists a zstd frame header whose declared size is
    the table's. Raises ImageError naming the problem."""
    path = folder / IMAGE_FILE
    frames = seek_table.read(path)
    if frames is None or not usable_frames(frames):
        return
    if sum(f.size for f in frames) != block_map.image_size:
        raise ImageError(
            f"{path}: its seek table does not cover the block map's image size "
            "(mismatched or altered files)"
        )
    with path.open("rb") as packed:
        for frame in frames:
            packed.seek(frame.packed_offset)
            head = packed.read(min(frame.packed_size, 18))
            try:
                declared = zstandard.get_frame_parameters(head).content_size
            except zstandard.ZstdError as exc:
                raise ImageError(
                    f"{path}: no zstd frame where its seek table puts the frame for byte "
                    f"{frame.offset} (altered seek table)"
                ) from exc
            if declared not in (frame.size, zstandard.CONTENTSIZE_UNKNOWN):
                raise ImageError(
                    f"{path}: the frame for byte {frame.offset} holds {declared} bytes, "
                    f"its seek table says {frame.size} (altered seek table)"
                )


PackedReader = Callable[[Frame], bytes]


def local_reader(packed: BinaryIO) -> PackedReader:
    """A frame's compressed bytes from the image file on disk (checked whole beforehand)."""

    def read(frame: Frame) -> bytes:
        packed.seek(frame.packed_offset)
        return packed.read(frame.packed_size)

    return read


def frame_pieces(
    read_packed: PackedReader, frames: list[Frame], spans: list[tuple[int, int, str]]
) -> Iterator[Piece]:
    """One piece per frame; a frame without mapped bytes is a hole: neither read nor decoded.

    `read_packed` gives a frame's compressed bytes (from the file, or from the network,
    checked against the frame list before they come back)."""
    decompressor = zstandard.ZstdDecompressor()

    def fill(view: memoryview, frame: Frame) -> None:
        got, extra = 0, b""
        data = read_packed(frame)  # ImageError from a network source goes up as it is
        try:
            # Decoded straight into the buffer: a forged frame header cannot make it grow.
            reader = decompressor.stream_reader(io.BytesIO(data))
            while got < len(view) and (read := reader.readinto(view[got:])) > 0:
                got += read
            extra = reader.read(1)
        except Exception as exc:  # zstd errors have no common base class
            raise ImageError(
                f"image stream is corrupt in the frame at byte {frame.offset}: {exc}"
            ) from exc
        if got != frame.size or extra:
            raise ImageError(
                f"image frame at byte {frame.offset} does not hold the {frame.size} bytes "
                "its seek table says (corrupt image)"
            )

    index, hole_start, hole_end = 0, 0, 0
    for frame in frames:
        end = frame.offset + frame.size
        while index < len(spans) and spans[index][1] <= frame.offset:
            index += 1
        if index < len(spans) and spans[index][0] < end:
            if hole_end > hole_start:
                yield hole_start, hole_end - hole_start, None
            hole_start = hole_end = end
            yield frame.offset, frame.size, partial(fill, frame=frame)
        else:
            # Consecutive hole frames make one piece: a hole costs the same at any size.
            hole_end = end
    if hole_end > hole_start:
        yield hole_start, hole_end - hole_start, None


def frames_with_data(frames: list[Frame], spans: list[tuple[int, int, str]]) -> int:
    """How many frames hold mapped bytes (the others are holes, never read)."""
    return sum(1 for _, _, fill in frame_pieces(lambda f: b"", frames, spans) if fill)


def stream_raw_image(
    folder: Path,
    block_map: BlockMap,
    runs: list[TargetRun],
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Decompress once, write to every run; the number of image bytes decompressed.

    ImageError/JobCancelled concern the whole batch."""
    spans = block_map.spans()
    frames = seek_table.read(folder / IMAGE_FILE)
    with (folder / IMAGE_FILE).open("rb") as packed:
        if frames is not None and usable_frames(frames):
            if sum(f.size for f in frames) != block_map.image_size:
                raise ImageError(
                    f"{folder / IMAGE_FILE}: its seek table does not cover the block map's "
                    "image size (mismatched files)"
                )
            return write_frames(
                local_reader(packed), frames, block_map, runs, tick=tick, cancel=cancel
            )
        # No usable seek table: one stream across all frames (any zstd file of the disk).
        decompressor = zstandard.ZstdDecompressor()
        stream = decompressor.stream_reader(
            packed, read_size=READ_SIZE, closefd=False, read_across_frames=True
        )
        writer = StreamWriter(
            stream_pieces(stream, block_map.image_size),
            block_map.image_size,
            spans,
            runs,
            tick=tick,
            cancel=cancel,
        )
        writer.run()
        # Anything after the image's last byte means the file is not what the map says.
        if stream.read(1):
            raise ImageError(f"{folder / IMAGE_FILE} is longer than the block map's image size")
        return block_map.image_size


def write_frames(
    read_packed: PackedReader,
    frames: list[Frame],
    block_map: BlockMap,
    runs: list[TargetRun],
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the frames holding mapped bytes to every run; the image bytes decompressed."""
    spans = block_map.spans()
    pieces = list(frame_pieces(read_packed, frames, spans))
    StreamWriter(pieces, block_map.image_size, spans, runs, tick=tick, cancel=cancel).run()
    return sum(length for _, length, fill in pieces if fill is not None)


def verify_runs(
    runs: list[TargetRun],
    block_map: BlockMap,
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Read back every run that wrote without error, together; mismatches by run index."""
    checked = [index for index, run in enumerate(runs) if run.error is None]

    def flush(index: int) -> None:
        try:
            runs[index].target.flush()
        except OSError as exc:
            runs[index].error = _failure(runs[index], exc, "flush")

    # Flushes wait on each drive's cache: all at once, not one after another.
    flushers = [threading.Thread(target=flush, args=(i,), daemon=True) for i in checked]
    for thread in flushers:
        thread.start()
    for thread in flushers:
        thread.join()
    checked = [index for index in checked if runs[index].error is None]
    if not checked:
        return {}
    try:
        results = readback_many(
            [runs[i].target for i in checked], block_map.spans(), tick=tick, cancel=cancel
        )
    except JobCancelled:
        for index in checked:
            runs[index].error = READBACK_CANCELLED
        return {}
    found: dict[int, list[tuple[int, int]]] = {}
    for index, result in zip(checked, results, strict=True):
        if result.error is not None:
            runs[index].error = _failure(runs[index], result.error, "read-back")
        else:
            found[index] = result.mismatches
    return found


def _failure(run: TargetRun, exc: OSError, what: str) -> str:
    gone = run.target.gone_error(exc)
    return gone.one_line() if gone else f"{what} failed: {exc.strerror or exc}"
