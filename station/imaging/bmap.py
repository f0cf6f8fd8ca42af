"""Block maps in bmaptool's XML format (version 2.0, sha256), so `bmaptool copy` reads ours.

A block map lists the mapped (useful) block ranges of a raw image, each with the sha256 of
its bytes; the file carries its own checksum, computed with that field set to 64 ASCII
zeros (as bmaptool does).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from station.errors import ImageError

BMAP_VERSION = "2.0"
ZERO_DIGEST = "0" * 64


@dataclass(frozen=True)
class MappedRange:
    first: int  # first block
    last: int  # last block, inclusive
    sha256: str

    def byte_span(self, block_size: int, image_size: int) -> tuple[int, int]:
        """(offset, end) in bytes; the last block of the image may be short."""
        return self.first * block_size, min((self.last + 1) * block_size, image_size)


@dataclass(frozen=True)
class BlockMap:
    image_size: int
    block_size: int
    ranges: tuple[MappedRange, ...]

    @property
    def blocks_count(self) -> int:
        return -(-self.image_size // self.block_size)

    @property
    def mapped_bytes(self) -> int:
        spans = (r.byte_span(self.block_size, self.image_size) for r in self.ranges)
        return sum(end - start for start, end in spans)

    def spans(self) -> list[tuple[int, int, str]]:
        """(offset, end, sha256) of each mapped range, in bytes."""
        return [(*r.byte_span(self.block_size, self.image_size), r.sha256) for r in self.ranges]


def render(bmap: BlockMap) -> str:
    mapped_blocks = sum(r.last - r.first + 1 for r in bmap.ranges)
    lines = [
        '<?xml version="1.0" ?>',
        "<!-- Block map of a Station image (bmaptool format 2.0). -->",
        f'<bmap version="{BMAP_VERSION}">',
        f"    <ImageSize> {bmap.image_size} </ImageSize>",
        f"    <BlockSize> {bmap.block_size} </BlockSize>",
        f"    <BlocksCount> {bmap.blocks_count} </BlocksCount>",
        f"    <MappedBlocksCount> {mapped_blocks} </MappedBlocksCount>",
        "    <ChecksumType> sha256 </ChecksumType>",
        f"    <BmapFileChecksum> {ZERO_DIGEST} </BmapFileChecksum>",
        "    <BlockMap>",
    ]
    for r in bmap.ranges:
        span = f"{r.first}" if r.first == r.last else f"{r.first}-{r.last}"
        lines.append(f'        <Range chksum="{r.sha256}"> {span} </Range>')
    lines += ["    </BlockMap>", "</bmap>", ""]
    text = "\n".join(lines)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return text.replace(ZERO_DIGEST, digest, 1)


def _int(root: ET.Element, tag: str, path: Path) -> int:
    node = root.find(tag)
    if node is None or node.text is None or not node.text.strip().isdigit():
        raise ImageError(f"{path}: block map has no valid <{tag}>")
    return int(node.text.strip())


def parse(path: Path) -> BlockMap:
    """Read and check a block map; ImageError names what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImageError(f"{path}: cannot read the block map ({exc})") from exc
    found = re.search(r"<BmapFileChecksum>\s*([0-9a-f]{64})\s*</BmapFileChecksum>", text)
    if found is None:
        raise ImageError(f"{path}: not a bmap 2.0 file with a sha256 BmapFileChecksum")
    zeroed = text[: found.start(1)] + ZERO_DIGEST + text[found.end(1) :]
    if hashlib.sha256(zeroed.encode()).hexdigest() != found.group(1):
        raise ImageError(f"{path}: the block map's own checksum does not match (altered file)")
    try:
        # The file's checksum matched and the manifest was checked before: trusted input.
        root = ET.fromstring(text)  # noqa: S314
    except ET.ParseError as exc:
        raise ImageError(f"{path}: block map is not valid XML ({exc})") from exc
    version = root.get("version", "")
    if not version.startswith("2."):
        raise ImageError(f"{path}: bmap version {version!r} is not supported (need 2.x)")
    checksum_type = (root.findtext("ChecksumType") or "").strip()
    if checksum_type != "sha256":
        raise ImageError(f"{path}: checksum type {checksum_type!r} is not supported (need sha256)")
    image_size, block_size = _int(root, "ImageSize", path), _int(root, "BlockSize", path)
    ranges = []
    for node in root.iterfind("BlockMap/Range"):
        first, _, last = (node.text or "").strip().partition("-")
        digest = node.get("chksum", "")
        if not first.isdigit() or (last and not last.isdigit()) or len(digest) != 64:
            raise ImageError(f"{path}: malformed <Range> {ET.tostring(node, 'unicode')!r}")
        ranges.append(MappedRange(int(first), int(last or first), digest))
    bmap = BlockMap(image_size, block_size, tuple(ranges))
    if (
        block_size <= 0
        or block_size % 512
        or any(r.last < r.first or r.last >= bmap.blocks_count for r in ranges)
    ):
        raise ImageError(f"{path}: block map ranges do not fit the image size")
    return bmap
