"""Retry a failing chunk, then narrow it down sector by sector so one bad sector costs
one sector, not a whole chunk, and its range is recorded."""

from __future__ import annotations

from collections.abc import Callable

from station.devices.blockio import BlockTarget
from station.domain.wipe_report import ByteRange
from station.errors import MediaError

IoCall = Callable[[int, int], None]  # (offset, length) -> None, raises OSError


def attempt(call: IoCall, offset: int, length: int, target: BlockTarget, retries: int) -> bool:
    """True once `call` succeeds; False after 1 + retries failures. A vanished device raises."""
    for _ in range(retries + 1):
        try:
            call(offset, length)
            return True
        except OSError as exc:
            gone = target.gone_error(exc)
            if gone is not None:
                raise gone from exc
    return False


class BadSectors:
    """Ranges that failed, merged, with a ceiling past which the job stops."""

    def __init__(self, ranges: list[ByteRange], sector: int, limit: int) -> None:
        self.ranges = ranges
        self.sector = sector
        self.limit = limit

    def count(self) -> int:
        return sum(-(-r.length // self.sector) for r in self.ranges)

    def add(self, offset: int, length: int) -> None:
        if self.ranges and self.ranges[-1].offset + self.ranges[-1].length == offset:
            last = self.ranges[-1]
            self.ranges[-1] = ByteRange(offset=last.offset, length=last.length + length)
        else:
            self.ranges.append(ByteRange(offset=offset, length=length))
        if self.count() > self.limit:
            raise MediaError(f"more than {self.limit} bad sectors")


def run_chunk(
    call: IoCall,
    offset: int,
    length: int,
    target: BlockTarget,
    retries: int,
    bad: BadSectors,
) -> None:
    """Do `call` over the chunk; on persistent failure, sector by sector, recording failures."""
    if attempt(call, offset, length, target, retries):
        return
    unit = target.logical_block_size if target.is_block_device else target.alignment
    for sub in range(offset, offset + length, unit):
        size = min(unit, offset + length - sub)
        if not attempt(call, sub, size, target, retries):
            bad.add(sub, size)
