"""The frame list of a Format 1 image: `disk.frames`, the sha256 of every zstd frame.

A deploy that reads the image from the network (an HTTP stream, a multicast stream) cannot
check the sha256 of the whole `disk.img.zst` before writing: that digest is known only
once the last byte arrived. The frame list closes the gap: it is listed in the profile's
manifest like every other file (so its own sha256 is the one the profile carries), and it
gives, for each frame of the seek table, where the frame sits in the compressed file,
where its bytes go on the disk, and the sha256 of its compressed bytes. Each frame is
checked against it as soon as it arrived and before one of its bytes is written.

Format (text, one frame a line, `#` lines are comments):

    # station-frames 1
    <packed_offset> <packed_size> <offset> <size> <sha256 of the packed bytes>
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from station.errors import ImageError
from station.imaging import seek_table
from station.imaging.seek_table import Frame

FRAMES_FILE = "disk.frames"
HEADER = "# station-frames 1"


@dataclass(frozen=True)
class CheckedFrame:
    """One frame of the image and the sha256 its compressed bytes must have."""

    frame: Frame
    sha256: str

    def check(self, data: bytes | memoryview) -> None:
        """ImageError unless `data` is exactly this frame's published bytes."""
        if len(data) != self.frame.packed_size:
            raise ImageError(
                f"frame at byte {self.frame.offset}: {len(data)} bytes arrived, "
                f"the frame list says {self.frame.packed_size}"
            )
        found = hashlib.sha256(data).hexdigest()
        if found != self.sha256:
            raise ImageError(
                f"frame at byte {self.frame.offset} does not match the frame list "
                f"(sha256 {found[:12]}…, expected {self.sha256[:12]}…): refused before writing"
            )


def describe(image: Path) -> str:
    """The frame list of an image file with a seek table (what `station image create`
    writes beside it)."""
    frames = seek_table.read(image)
    if frames is None:
        raise ImageError(f"{image} has no seek table: its frames cannot be listed")
    lines = [HEADER]
    with image.open("rb") as packed:
        for frame in frames:
            packed.seek(frame.packed_offset)
            digest = hashlib.sha256(packed.read(frame.packed_size)).hexdigest()
            lines.append(
                f"{frame.packed_offset} {frame.packed_size} {frame.offset} {frame.size} {digest}"
            )
    return "\n".join(lines) + "\n"


def parse(text: str, where: str = FRAMES_FILE) -> list[CheckedFrame]:
    """The frames, checked to tile both files with no gap; ImageError naming the line."""
    frames: list[CheckedFrame] = []
    packed_at = offset = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        try:
            packed_offset, packed_size, start, size = (int(f) for f in fields[:4])
            digest = fields[4]
        except (ValueError, IndexError) as exc:
            raise ImageError(f"{where} line {number}: not a frame line ({line[:60]!r})") from exc
        if len(fields) != 5 or len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise ImageError(f"{where} line {number}: not a frame line ({line[:60]!r})")
        if packed_offset != packed_at or start != offset or packed_size <= 0 or size <= 0:
            raise ImageError(f"{where} line {number}: frames leave a gap or overlap")
        frames.append(CheckedFrame(Frame(packed_offset, packed_size, start, size), digest))
        packed_at, offset = packed_at + packed_size, offset + size
    if not frames:
        raise ImageError(f"{where} lists no frame")
    return frames


def load(path: Path) -> list[CheckedFrame]:
    return parse(path.read_text(encoding="ascii", errors="replace"), str(path))
