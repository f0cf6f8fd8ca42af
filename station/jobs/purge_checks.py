"""The data checks around a firmware purge: plant watermarks, check them, read back.

The read-back after a purge cannot compare with a known pattern: drives return zeros,
ones or a vendor pattern (docs/sanitization.md). It reads the sampled extents of
station.jobs.verify.plan_extents (seed recorded) and accepts, per logical block, a
single repeated byte or a block equal to the one before; anything else is old data,
except after a crypto erase where undecryptable noise is what the drive returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.devices.blockio import BlockTarget, aligned_buffer
from station.domain.sampling import EXTENT_PERCENT, FULL_READ_BELOW, SUBSECTIONS
from station.domain.watermarks import (
    WatermarkCheck,
    judge_watermarks,
    watermark_content,
    watermark_positions,
)
from station.jobs.verify import plan_extents

MIB = 1024 * 1024
READ_CHUNK = 4 * MIB


def plant_watermarks(target: BlockTarget, seed: bytes, subsections: int) -> tuple[list[int], int]:
    """Write the seed's random blocks; returns (positions, block size)."""
    block = target.alignment
    positions = watermark_positions(target.size, block, seed, subsections)
    buf = memoryview(aligned_buffer(block))[:block]
    for offset in positions:
        buf[:] = watermark_content(seed, offset, block)
        target.write_at(buf, offset)
    target.flush()
    return positions, block


def check_watermarks(
    target: BlockTarget, seed: bytes, positions: list[int], block: int
) -> WatermarkCheck:
    target.drop_cache()
    buf = memoryview(aligned_buffer(block))[:block]
    observed: list[bytes | None] = []
    for offset in positions:
        try:
            count = target.read_into(buf, offset)
        except OSError:
            observed.append(None)
            continue
        observed.append(bytes(buf[:count]) if count == block else None)
    return judge_watermarks(seed, block, positions, observed)


@dataclass
class ReadBackSummary:
    mode: str
    seed_hex: str
    coverage_percent: float
    blocks_read: int
    blocks_uniform: int
    blocks_other: int
    unreadable_bytes: int
    accept_noise: bool

    @property
    def ok(self) -> bool:
        return self.unreadable_bytes == 0 and (self.accept_noise or self.blocks_other == 0)


def read_back(target: BlockTarget, seed: bytes, *, accept_noise: bool) -> ReadBackSummary:
    """Sampled (>= 1000 subsections, >= 10 %) or, on small media, full read-back."""
    extents, mode, used_seed, _why = plan_extents(
        target,
        "sampled",
        subsections=SUBSECTIONS,
        percent=EXTENT_PERCENT,
        full_below=FULL_READ_BELOW,
        seed=seed,
    )
    target.drop_cache()
    lbs = target.logical_block_size
    buf = memoryview(aligned_buffer(READ_CHUNK))
    counts = {"uniform": 0, "other": 0}
    unreadable = covered = 0
    for extent in extents:
        covered += extent.length
        for offset in range(extent.offset, extent.end, READ_CHUNK):
            length = min(READ_CHUNK, extent.end - offset)
            try:
                count = target.read_into(buf[:length], offset)
            except OSError:
                unreadable += length
                continue
            unreadable += length - count  # a short read is data nobody has seen
            _classify(bytes(buf[: count - count % lbs]), lbs, accept_noise, counts)
    return ReadBackSummary(
        mode=mode,
        seed_hex=(used_seed or b"").hex(),
        coverage_percent=round(100.0 * covered / target.size, 3),
        blocks_read=counts["uniform"] + counts["other"],
        blocks_uniform=counts["uniform"],
        blocks_other=counts["other"],
        unreadable_bytes=unreadable,
        accept_noise=accept_noise,
    )


def _classify(data: bytes, lbs: int, accept_noise: bool, counts: dict[str, int]) -> None:
    """Count erased-looking blocks: one repeated byte, or a pattern whose period divides
    the block size. Whole chunks are tested first at C speed; block by block only when a
    chunk fails, so a clean terabyte is not walked in Python."""
    blocks = len(data) // lbs
    if not blocks:
        return
    if data.count(data[0]) == len(data) or data[lbs:] == data[:-lbs]:
        counts["uniform"] += blocks
        return
    if accept_noise:  # crypto erase: noise is expected; the watermarks decide
        counts["other"] += blocks
        return
    for start in range(0, len(data), lbs):
        block = data[start : start + lbs]
        periodic = block.count(block[0]) == lbs or (start and block == data[start - lbs : start])
        counts["uniform" if periodic else "other"] += 1
