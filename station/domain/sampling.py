"""Where sampled verification reads (docs/sanitization.md, "Sampled verification").

The recipe is §4.7.3 of NIST SP 800-88 Rev. 1 (withdrawn); Rev. 2, which Station follows,
no longer spells one out.

The LBA range is split into N >= 1000 equal subsections; each gets two non-overlapping
extents of at least `percent` % of it (one in each half, so they cannot overlap), which
makes >= 2 x percent % of the media; the first and last MiB are always read.

Offsets come from SHA-256 over the recorded seed, not from Python's `random`, so anyone
can re-derive the same extents from the seed with a few lines in any language:
slot = int.from_bytes(sha256(seed || u64be(subsection) || u8(half))[:8], "big") mod slots.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True, order=True)
class Extent:
    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


def merge(extents: list[Extent]) -> list[Extent]:
    """Sorted, with overlapping or touching extents joined."""
    merged: list[Extent] = []
    for extent in sorted(extents):
        if merged and extent.offset <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Extent(last.offset, max(last.end, extent.end) - last.offset)
        else:
            merged.append(extent)
    return merged


def covered_bytes(extents: list[Extent]) -> int:
    return sum(extent.length for extent in merge(extents))


def _ceil_to(value: int, align: int) -> int:
    return -(-value // align) * align


# The sampled read-back's shape (docs/sanitization.md, "Verification"): at least 1000
# subsections, two extents of 5 % each in every one, and smaller media read whole.
SUBSECTIONS = 1000
EXTENT_PERCENT = 5.0
FULL_READ_BELOW = 64 * MIB


def sampling_is_possible(size: int, align: int, subsections: int) -> bool:
    """Each half-subsection must hold at least two aligned slots to choose from."""
    return size // subsections >= 4 * align


def sampled_extents(
    size: int,
    align: int,
    seed: bytes,
    subsections: int = SUBSECTIONS,
    percent: float = EXTENT_PERCENT,
) -> list[Extent]:
    """The extents to read for a sampled verification, merged and sorted."""
    if align <= 0 or size % align:
        raise ValueError(f"size {size} is not a multiple of the alignment {align}")
    if not sampling_is_possible(size, align, subsections):
        raise ValueError("media too small for sampling; read it all")
    extents = [Extent(0, min(MIB, size)), Extent(max(0, size - MIB), min(MIB, size))]
    for index in range(subsections):
        start = (size * index // subsections) // align * align
        stop = (size * (index + 1) // subsections) // align * align
        half = (stop - start) // 2 // align * align
        length = min(_ceil_to(int((stop - start) * percent / 100) or 1, align), half)
        for which, base in enumerate((start, start + half)):
            room = (half if which == 0 else stop - start - half) - length
            slots = room // align + 1
            digest = hashlib.sha256(
                seed + index.to_bytes(8, "big") + which.to_bytes(1, "big")
            ).digest()
            slot = int.from_bytes(digest[:8], "big") % slots
            extents.append(Extent(base + slot * align, length))
    return merge(extents)
