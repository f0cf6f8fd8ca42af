"""A Clonezilla master bigger than the disk: the plan from the partclone header alone
(used blocks x block size), refused with the numbers when the data cannot fit."""

from __future__ import annotations

from pathlib import Path

import pytest
import zstandard

from station.errors import ImageError
from station.imaging.clonezilla import read_clonezilla
from station.imaging.clonezilla_fit import plan_fit

MIB = 1024 * 1024
DUMP = """label: gpt
unit: sectors
first-lba: 2048
last-lba: 206814
sector-size: 512

/dev/sda1 : start=        2048, size=       16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
/dev/sda2 : start=       18432, size=      188383, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
"""


def header(used_blocks: int, block: int = 4096, device: int = 188383 * 512) -> bytes:
    """A partclone image header, format 0002, as partclone 0.3.x writes it."""
    head = b"partclone-image\0" + b"0.3.23".ljust(14, b"\0") + b"0002" + b"\xc0\xde"
    head += b"EXTFS".ljust(16, b"\0") + device.to_bytes(8, "little")
    head += (device // block).to_bytes(8, "little") + used_blocks.to_bytes(8, "little")
    head += used_blocks.to_bytes(8, "little") + block.to_bytes(4, "little")
    return head + bytes(64)


def image(tmp_path: Path, used_blocks: int, *, swap_last: bool = False) -> Path:
    (tmp_path / "disk").write_text("sda\n")
    (tmp_path / "parts").write_text("sda1\n" if swap_last else "sda1 sda2\n")
    (tmp_path / "sda-pt.sf").write_text(DUMP)
    (tmp_path / "sda1.vfat-ptcl-img.gz.aa").write_bytes(b"x")
    if swap_last:
        (tmp_path / "swappt-sda2.info").write_text('UUID="u-1"\nLABEL=""\n')
    else:
        packed = zstandard.ZstdCompressor().compress(header(used_blocks))
        (tmp_path / "sda2.ext4-ptcl-img.zst").write_bytes(packed)
    return tmp_path


def test_a_disk_large_enough_needs_no_plan(tmp_path: Path) -> None:
    assert plan_fit(read_clonezilla(image(tmp_path, 1000)), 120 * MIB) is None


def test_last_filesystem_shrinks_when_its_data_fits(tmp_path: Path) -> None:
    plan = plan_fit(read_clonezilla(image(tmp_path, 2000)), 64 * MIB)  # 8 MiB of data
    assert plan is not None and plan.number == 2 and plan.used_bytes == 2000 * 4096
    assert plan.size_sectors % 2048 == 0
    assert (18432 + plan.size_sectors + 33) * 512 <= 64 * MIB


def test_too_much_data_is_refused_with_the_numbers(tmp_path: Path) -> None:
    saved = read_clonezilla(image(tmp_path, 10_000))  # 39 MiB of data
    with pytest.raises(ImageError, match=r"needs 101 MiB, the target has 40 MiB.*holds 39 MiB"):
        plan_fit(saved, 40 * MIB)


def test_a_swap_partition_at_the_end_is_just_made_smaller(tmp_path: Path) -> None:
    plan = plan_fit(read_clonezilla(image(tmp_path, 0, swap_last=True)), 32 * MIB)
    assert plan is not None and plan.part is None and plan.size_sectors > 0
