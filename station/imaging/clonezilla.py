"""Format 2: Clonezilla image directories, restored with sfdisk and Debian's partclone.

A Clonezilla directory holds `disk` (the disk's name, e.g. `sda`), `parts` (its saved
partitions, e.g. `sda1 sda2`), `sda-pt.sf` (an `sfdisk --dump`), and one partclone image
per partition, named `sda1.ext4-ptcl-img.zst.aa` (compression gz, zst or uncomp), split
into `.aa`, `.ab`, ... pieces. Other files (Info-*, gdisk dumps) are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from station.errors import ImageError

PIECE = re.compile(
    r"^(?P<part>[A-Za-z0-9]+)\.(?P<fs>[a-z0-9+]+)-ptcl-img\.(?P<comp>gz|zst|uncomp)\.[a-z]{2,}$"
)
PARTCLONE = {
    "ext2": "partclone.ext2",
    "ext3": "partclone.ext3",
    "ext4": "partclone.ext4",
    "vfat": "partclone.vfat",
    "fat": "partclone.fat",
    "fat12": "partclone.fat12",
    "fat16": "partclone.fat16",
    "fat32": "partclone.fat32",
    "ntfs": "partclone.ntfs",
    "dd": "partclone.dd",
}
# Read-only checks run after a restore; each must exit 0.
FS_CHECK = {
    "ext2": ("e2fsck", "-f", "-n"),
    "ext3": ("e2fsck", "-f", "-n"),
    "ext4": ("e2fsck", "-f", "-n"),
    "vfat": ("fsck.vfat", "-n"),
    "fat": ("fsck.vfat", "-n"),
    "fat12": ("fsck.vfat", "-n"),
    "fat16": ("fsck.vfat", "-n"),
    "fat32": ("fsck.vfat", "-n"),
    "ntfs": ("ntfsfix", "-n"),
}
GPT_BACKUP_SECTORS = 33


@dataclass(frozen=True)
class SavedPartition:
    name: str  # as saved, e.g. sda2
    number: int
    fstype: str
    compression: str
    pieces: tuple[Path, ...]

    @property
    def tool(self) -> str:
        return PARTCLONE[self.fstype]


@dataclass(frozen=True)
class ClonezillaImage:
    folder: Path
    disk: str
    table: str
    partitions: tuple[SavedPartition, ...]
    sector_size: int
    required_bytes: int  # the disk must be at least this large
    partitions_bytes: int


def _number(name: str) -> int:
    found = re.search(r"(\d+)$", name)
    if found is None:
        raise ImageError(f"partition name {name!r} has no number")
    return int(found.group(1))


def _table_extent(table: str, path: Path) -> tuple[int, int, int]:
    """(sector size, sectors needed, sectors in partitions) from an sfdisk dump."""
    size_match = re.search(r"^sector-size:\s*(\d+)", table, re.MULTILINE)
    sector = int(size_match.group(1)) if size_match else 512
    end, total = 0, 0
    for start, size in re.findall(r"start=\s*(\d+),\s*size=\s*(\d+)", table):
        end, total = max(end, int(start) + int(size)), total + int(size)
    if end == 0:
        raise ImageError(f"{path}: no partitions in the sfdisk dump")
    backup = GPT_BACKUP_SECTORS if re.search(r"^label:\s*gpt", table, re.MULTILINE) else 0
    return sector, end + backup, total


def read_clonezilla(folder: Path) -> ClonezillaImage:
    """Parse and check the directory; ImageError says what is missing or unsupported."""
    try:
        disk = (folder / "disk").read_text().split()[0]
        names = (folder / "parts").read_text().split()
    except (OSError, IndexError) as exc:
        raise ImageError(f"{folder}: not a Clonezilla image (no 'disk' or 'parts' list)") from exc
    if len(disk.split()) != 1 or not names:
        raise ImageError(f"{folder}: Clonezilla images of several disks are not supported")
    table_path = folder / f"{disk}-pt.sf"
    if not table_path.is_file():
        raise ImageError(f"{folder}: missing {table_path.name} (the sfdisk dump)")
    table = table_path.read_text()
    pieces: dict[str, list[Path]] = {}
    kinds: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.iterdir()):
        found = PIECE.match(path.name)
        if found is not None:
            pieces.setdefault(found["part"], []).append(path)
            kinds[found["part"]] = (found["fs"], found["comp"])
    saved = []
    for name in names:
        if name not in pieces:
            raise ImageError(f"{folder}: no partclone image for {name}")
        fstype, compression = kinds[name]
        if fstype not in PARTCLONE:
            raise ImageError(f"{folder}: {name} holds {fstype}, which is not supported")
        saved.append(SavedPartition(name, _number(name), fstype, compression, tuple(pieces[name])))
    sector, needed, in_parts = _table_extent(table, table_path)
    return ClonezillaImage(
        folder, disk, table, tuple(saved), sector, needed * sector, in_parts * sector
    )


def partition_node(device: str, number: int) -> str:
    """/dev/sdb + 2 -> /dev/sdb2; /dev/nvme0n1 or /dev/loop3 + 2 -> ...p2."""
    return f"{device}p{number}" if device[-1].isdigit() else f"{device}{number}"


def table_for(image: ClonezillaImage, device: str) -> str:
    """The saved table, addressed to `device`, without what ties it to the old disk's size:
    sfdisk then puts the backup GPT at the end of the (larger) target."""
    lines = []
    for line in image.table.splitlines():
        if re.match(r"^(device|last-lba):", line):
            continue
        named = re.match(r"^(\S+)\s*:\s*(start=.*)$", line)
        if named is not None:
            line = f"{partition_node(device, _number(named.group(1)))} : {named.group(2)}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def used_files(image: ClonezillaImage) -> list[str]:
    """Every file a restore reads: each must be in the profile's manifest."""
    names = ["disk", "parts", f"{image.disk}-pt.sf"]
    return names + [piece.name for part in image.partitions for piece in part.pieces]
