"""The zstd seekable format's seek table, so a deploy can jump over the holes of an image.

Station writes disk.img.zst as one zstd frame per 8 MiB of disk followed by a seek table
(zstd's contrib/seekable_format: a skippable frame listing each frame's compressed and
decompressed size). `zstd -dc`, and so `bmaptool copy`, read the file as one stream and
skip the table; Station reads the table and decompresses only frames that hold mapped
bytes, so a deploy costs the data, not the disk size. A file without a table (an older
Station image, or a plain `zstd` of a disk) is still deployed as one stream.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from station.errors import ImageError

SKIPPABLE_MAGIC = 0x184D2A5E
SEEKABLE_MAGIC = 0x8F92EAB1
_FOOTER = struct.Struct("<IBI")  # Number_Of_Frames, Seek_Table_Descriptor, Seekable_Magic
_ENTRY = struct.Struct("<II")  # Compressed_Size, Decompressed_Size
_CHECKSUM_FLAG = 0x80


@dataclass(frozen=True)
class Frame:
    packed_offset: int  # where the frame starts in the compressed file
    packed_size: int
    offset: int  # where its bytes go in the image
    size: int


def render(sizes: list[tuple[int, int]]) -> bytes:
    """The skippable frame for frames of these (compressed, decompressed) sizes, in order."""
    body = b"".join(_ENTRY.pack(packed, size) for packed, size in sizes)
    body += _FOOTER.pack(len(sizes), 0, SEEKABLE_MAGIC)
    return struct.pack("<II", SKIPPABLE_MAGIC, len(body)) + body


def read(path: Path) -> list[Frame] | None:
    """The frames listed by the file's seek table; None when the file ends without one."""
    file_size = path.stat().st_size
    if file_size < 8 + _FOOTER.size:
        return None
    with path.open("rb") as handle:
        handle.seek(file_size - _FOOTER.size)
        count, descriptor, magic = _FOOTER.unpack(handle.read(_FOOTER.size))
        if magic != SEEKABLE_MAGIC:
            return None
        entry_size = _ENTRY.size + (4 if descriptor & _CHECKSUM_FLAG else 0)
        table_size = 8 + count * entry_size + _FOOTER.size
        if descriptor & 0x7C or table_size > file_size:
            raise ImageError(f"{path}: the seek table at the end of the file is malformed")
        handle.seek(file_size - table_size)
        table = handle.read(table_size)
    head_magic, body_size = struct.unpack_from("<II", table)
    if head_magic != SKIPPABLE_MAGIC or body_size != table_size - 8:
        raise ImageError(f"{path}: the seek table at the end of the file is malformed")
    frames: list[Frame] = []
    packed_at = offset = 0
    for number in range(count):
        packed, size = _ENTRY.unpack_from(table, 8 + number * entry_size)
        frames.append(Frame(packed_at, packed, offset, size))
        packed_at, offset = packed_at + packed, offset + size
    if packed_at != file_size - table_size:
        raise ImageError(
            f"{path}: the seek table lists {packed_at} compressed bytes, the file holds "
            f"{file_size - table_size} (truncated or altered image)"
        )
    return frames
