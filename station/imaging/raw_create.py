"""Make a Format 1 image from a master disk: `disk.img.zst`, `disk.bmap`, `disk.frames`.

The disk goes into one zstd frame per 8 MiB followed by a seek table (seek_table.py): read
as one stream by `zstd -dc` and `bmaptool copy`, and by Station frame by frame, so the
frames of unmapped holes are never decompressed at deploy time. The block map lists every
MiB that holds anything but zeros, plus the first and last MiB (partition tables), each
range with the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import zstandard

from station.devices.blockio import BlockTarget, aligned_buffer
from station.errors import ImageError
from station.imaging import bmap as bmapfile
from station.imaging import frame_list, seek_table
from station.imaging.bmap import BlockMap, MappedRange

IMAGE_FILE = "disk.img.zst"
BMAP_FILE = "disk.bmap"
BLOCK = 4096
GRAIN = 1024 * 1024  # mapping granularity: a MiB holding any data is mapped whole
CHUNK = 8 * 1024 * 1024  # one zstd frame per chunk: the grain at which holes are skipped
ZEROS = bytes(GRAIN)


@dataclass(frozen=True)
class CreatedImage:
    folder: Path
    image_size: int
    mapped_bytes: int
    manifest: dict[str, str]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


class _RangeBuilder:
    """Accumulates mapped grains into ranges, hashing their bytes on the way."""

    def __init__(self) -> None:
        self.ranges: list[MappedRange] = []
        self._start: int | None = None
        self._end = 0
        self._hash = hashlib.sha256()

    def add(self, offset: int, data: memoryview, mapped: bool) -> None:
        if not mapped:
            self.close()
            return
        if self._start is None:
            self._start, self._hash = offset, hashlib.sha256()
        self._hash.update(data)
        self._end = offset + len(data)

    def close(self) -> None:
        if self._start is not None:
            last = -(-self._end // BLOCK) - 1
            self.ranges.append(MappedRange(self._start // BLOCK, last, self._hash.hexdigest()))
            self._start = None


def create_raw_image(
    source: str, out: Path, *, level: int = 3, tick: Callable[[int, int], None] | None = None
) -> CreatedImage:
    """Read `source` (a disk or an image file) once and write the Format 1 files to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    image_path, bmap_path = out / IMAGE_FILE, out / BMAP_FILE
    builder = _RangeBuilder()
    buffer = aligned_buffer(CHUNK)
    with BlockTarget.open(source, write=False) as disk:
        size = disk.size
        if size % 512:
            raise ImageError(f"{source}: size {size} is not a multiple of 512 bytes")
        compressor = zstandard.ZstdCompressor(level=level, write_content_size=True)
        frames: list[tuple[int, int]] = []
        with image_path.open("wb") as packed:
            offset = 0
            while offset < size:
                length = min(CHUNK, size - offset)
                view = memoryview(buffer)[:length]
                if disk.read_into(view, offset) != length:
                    raise ImageError(f"{source}: short read at byte {offset}")
                frame = compressor.compress(view)
                packed.write(frame)
                frames.append((len(frame), length))
                for at in range(0, length, GRAIN):
                    piece = view[at : at + GRAIN]
                    where = offset + at
                    edge = where < GRAIN or where >= size - GRAIN
                    builder.add(where, piece, edge or not ZEROS.startswith(piece))
                offset += length
                if tick is not None:
                    tick(offset, size)
            packed.write(seek_table.render(frames))
    builder.close()
    block_map = BlockMap(size, BLOCK, tuple(builder.ranges))
    bmap_path.write_text(bmapfile.render(block_map), encoding="utf-8")
    # The frame list lets a network deploy check each frame before writing it.
    frames_path = out / frame_list.FRAMES_FILE
    frames_path.write_text(frame_list.describe(image_path), encoding="ascii")
    manifest = {
        IMAGE_FILE: file_sha256(image_path),
        BMAP_FILE: file_sha256(bmap_path),
        frame_list.FRAMES_FILE: file_sha256(frames_path),
    }
    return CreatedImage(out, size, block_map.mapped_bytes, manifest)
