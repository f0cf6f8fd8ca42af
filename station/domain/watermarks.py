"""Watermarks: random blocks planted before a firmware purge, all required to change after.

After a purge, deallocated blocks read back as zeros whatever remains in flash, so
zeros prove little (docs/sanitization.md, "Sampled verification"). Station writes a random
block in every subsection before the command and requires every one to differ after.

Positions and contents come from SHA-256 over the recorded seed, so anyone can re-derive
them: position i = subsection start + (u64be(sha256(seed || "pos" || u64be(i))[:8]) mod
slots) * block; content = sha256(seed || "data" || u64be(i) || u64be(k)) for k = 0, 1, ...
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

DEFAULT_SUBSECTIONS = 1000


def _digest(seed: bytes, tag: bytes, *numbers: int) -> bytes:
    data = seed + tag + b"".join(n.to_bytes(8, "big") for n in numbers)
    return hashlib.sha256(data).digest()


def watermark_positions(
    size: int, block: int, seed: bytes, subsections: int = DEFAULT_SUBSECTIONS
) -> list[int]:
    """One block-aligned offset per subsection (fewer subsections on tiny media), plus the
    first and last block, sorted and distinct."""
    if block <= 0 or size < block:
        raise ValueError(f"media of {size} bytes cannot hold a {block}-byte watermark")
    blocks = size // block
    count = max(1, min(subsections, blocks))
    positions = {0, (blocks - 1) * block}
    for index in range(count):
        first = index * blocks // count
        last = (index + 1) * blocks // count  # exclusive
        slots = max(1, last - first)
        pick = int.from_bytes(_digest(seed, b"pos", index)[:8], "big") % slots
        positions.add((first + pick) * block)
    return sorted(positions)


def watermark_content(seed: bytes, offset: int, length: int) -> bytes:
    """The random-looking bytes planted at `offset` (re-derivable from the seed)."""
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += _digest(seed, b"data", offset, counter)
        counter += 1
    return bytes(out[:length])


class WatermarkCheck(BaseModel):
    """The after-purge judgement: every planted block must have changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed_hex: str
    block: int
    planted: int
    changed: int
    unchanged_offsets: tuple[int, ...] = ()
    unreadable_offsets: tuple[int, ...] = ()

    @property
    def all_changed(self) -> bool:
        return (
            self.planted > 0
            and self.changed == self.planted
            and not self.unchanged_offsets
            and not self.unreadable_offsets
        )


def judge_watermarks(
    seed: bytes, block: int, positions: Sequence[int], observed: Sequence[bytes | None]
) -> WatermarkCheck:
    """Compare what was read after the purge (None: unreadable) with what was planted.

    An unreadable watermark is not "changed": it proves nothing either way.
    """
    if len(positions) != len(observed):
        raise ValueError("one observation per watermark position is needed")
    unchanged, unreadable, changed = [], [], 0
    for offset, data in zip(positions, observed, strict=True):
        if data is None:
            unreadable.append(offset)
        elif data == watermark_content(seed, offset, block):
            unchanged.append(offset)
        else:
            changed += 1
    return WatermarkCheck(
        seed_hex=seed.hex(),
        block=block,
        planted=len(positions),
        changed=changed,
        unchanged_offsets=tuple(unchanged),
        unreadable_offsets=tuple(unreadable),
    )
