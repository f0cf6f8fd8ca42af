"""Format 2: Clonezilla image directories, read as Clonezilla's `ocs-sr` writes them.

A Clonezilla directory holds `disk` (the disk's name, e.g. `sda`), `parts` (its saved
partitions, e.g. `sda1 sda2`), `sda-pt.sf` (an `sfdisk --dump`), one partclone image per
partition, named `sda1.ext4-ptcl-img.zst` (compression gz, zst, xz, bz2 or uncomp), split
into `.aa`, `.ab`, ... pieces or not (`ocs-sr -i 0`), and, when present: `swappt-sda5.info`
(a swap partition is not saved, only its UUID and LABEL), `sda-mbr` (the first sector) and
`sda-hidden-data-after-mbr` (the sectors between the MBR and the first partition: a BIOS
boot loader's core image). Other files (Info-*, gdisk dumps) are ignored.

Layouts Station cannot deploy as Clonezilla would (several disks, LVM, BitLocker or LUKS
volumes) are refused here, before anything is written, with their name in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from station.errors import ImageError

PIECE = re.compile(
    r"^(?P<part>[A-Za-z0-9_]+)\.(?P<fs>[A-Za-z0-9+_]+)-ptcl-img\."
    r"(?P<comp>gz|zst|xz|bz2|uncomp)(?:\.(?P<piece>[a-z]{2,}))?$"
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
# What Clonezilla leaves in a directory it saved from LVM or encrypted volumes.
LVM_FILES = ("lvm_vg_dev.list", "lvm_logv.list")
LUKS_FILES = ("luks-dev.list", "luks-crypttab-from-OS.info")
ENCRYPTED_TYPES = {"bitlocker": "BitLocker", "crypto_luks": "LUKS"}


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
class TableEntry:
    number: int
    start: int  # sectors
    size: int


@dataclass(frozen=True)
class SwapPartition:
    """A swap partition: Clonezilla saves only its UUID and LABEL; mkswap makes it again."""

    name: str
    number: int
    uuid: str | None
    label: str | None
    info: Path


@dataclass(frozen=True)
class ClonezillaImage:
    folder: Path
    disk: str
    table: str
    partitions: tuple[SavedPartition, ...]
    sector_size: int
    required_bytes: int  # the disk must be at least this large (unless the last one shrinks)
    partitions_bytes: int
    entries: tuple[TableEntry, ...] = ()
    swaps: tuple[SwapPartition, ...] = ()
    mbr: Path | None = None  # <disk>-mbr: the boot code of a BIOS master
    hidden_after_mbr: Path | None = None  # <disk>-hidden-data-after-mbr

    @property
    def label(self) -> str:
        found = re.search(r"^label:\s*(\S+)", self.table, re.MULTILINE)
        return found.group(1) if found else "dos"

    @property
    def last_entry(self) -> TableEntry:
        return max(self.entries, key=lambda e: e.start + e.size)


def _number(name: str) -> int:
    found = re.search(r"(\d+)$", name)
    if found is None:
        raise ImageError(f"partition name {name!r} has no number")
    return int(found.group(1))


def _entries(table: str) -> list[TableEntry]:
    found = re.findall(r"^(\S+)\s*:\s*start=\s*(\d+),\s*size=\s*(\d+)", table, re.MULTILINE)
    return [TableEntry(_number(name), int(start), int(size)) for name, start, size in found]


def _table_extent(table: str, path: Path) -> tuple[int, int, int]:
    """(sector size, sectors needed, sectors in partitions) from an sfdisk dump."""
    size_match = re.search(r"^sector-size:\s*(\d+)", table, re.MULTILINE)
    sector = int(size_match.group(1)) if size_match else 512
    entries = _entries(table)
    if not entries:
        raise ImageError(f"{path}: no partitions in the sfdisk dump")
    end = max(e.start + e.size for e in entries)
    backup = GPT_BACKUP_SECTORS if re.search(r"^label:\s*gpt", table, re.MULTILINE) else 0
    return sector, end + backup, sum(e.size for e in entries)


def _refuse_unsupported(folder: Path, disks: list[str], names: list[str]) -> None:
    """Several disks, LVM, BitLocker, LUKS: refused by name before anything is written."""
    if len(disks) > 1:
        raise ImageError(
            f"{folder}: Clonezilla image of several disks ({' '.join(disks)}): Station deploys "
            "one disk per image; save each disk as its own image (nothing was written)"
        )
    lvm = [name for name in LVM_FILES if (folder / name).exists()]
    if lvm:
        raise ImageError(
            f"{folder}: the master uses LVM ({', '.join(lvm)}): not supported, restore it "
            "with Clonezilla (nothing was written)"
        )
    described = ""
    for listing in ("dev-fs.list", "blkid.list"):
        if (folder / listing).is_file():
            described += (folder / listing).read_text(errors="replace").lower()
    luks = [name for name in LUKS_FILES if (folder / name).exists()]
    luks += [p.name for p in folder.glob("*-luksHeader.bin")]
    kinds = [shown for key, shown in ENCRYPTED_TYPES.items() if key in described]
    if luks and "LUKS" not in kinds:
        kinds.append("LUKS")
    if kinds:
        raise ImageError(
            f"{folder}: the master holds encrypted volumes ({', '.join(kinds)}): Station "
            "cannot check or resize them; decrypt the master (BitLocker: turn it off in "
            "Windows) and save it again (nothing was written)"
        )
    stray = [name for name in names if not name.startswith(disks[0])]
    if stray:
        raise ImageError(
            f"{folder}: saved volumes that are not partitions of {disks[0]} "
            f"({' '.join(stray)}): LVM or software RAID is not supported (nothing was written)"
        )


def _pieces(folder: Path) -> tuple[dict[str, list[Path]], dict[str, tuple[str, str]]]:
    pieces: dict[str, list[Path]] = {}
    kinds: dict[str, tuple[str, str]] = {}
    split: dict[str, set[bool]] = {}
    for path in sorted(folder.iterdir()):
        found = PIECE.match(path.name)
        if found is not None:
            pieces.setdefault(found["part"], []).append(path)
            kinds[found["part"]] = (found["fs"], found["comp"])
            split.setdefault(found["part"], set()).add(found["piece"] is not None)
    mixed = sorted(name for name, ways in split.items() if len(ways) > 1)
    if mixed:
        raise ImageError(f"{folder}: {mixed[0]} is saved both split and unsplit: which one?")
    return pieces, kinds


def _swaps(folder: Path) -> tuple[SwapPartition, ...]:
    swaps = []
    for info in sorted(folder.glob("swappt-*.info")):
        name = info.name[len("swappt-") : -len(".info")]
        values = dict(re.findall(r'^(UUID|LABEL)="([^"]*)"', info.read_text(), re.MULTILINE))
        swaps.append(
            SwapPartition(
                name, _number(name), values.get("UUID") or None, values.get("LABEL") or None, info
            )
        )
    return tuple(swaps)


def read_clonezilla(folder: Path) -> ClonezillaImage:
    """Parse and check the directory; ImageError says what is missing or unsupported."""
    try:
        disks = (folder / "disk").read_text().split()
        names = (folder / "parts").read_text().split()
        disk = disks[0]
    except (OSError, IndexError) as exc:
        raise ImageError(f"{folder}: not a Clonezilla image (no 'disk' or 'parts' list)") from exc
    if not names:
        raise ImageError(f"{folder}: the 'parts' list is empty")
    _refuse_unsupported(folder, disks, names)
    table_path = folder / f"{disk}-pt.sf"
    if not table_path.is_file():
        raise ImageError(f"{folder}: missing {table_path.name} (the sfdisk dump)")
    table = table_path.read_text()
    pieces, kinds = _pieces(folder)
    saved = []
    for name in names:
        if name not in pieces:
            raise ImageError(f"{folder}: no partclone image for {name}")
        fstype, compression = kinds[name]
        if fstype not in PARTCLONE:
            raise ImageError(f"{folder}: {name} holds {fstype}, which is not supported")
        saved.append(SavedPartition(name, _number(name), fstype, compression, tuple(pieces[name])))
    sector, needed, in_parts = _table_extent(table, table_path)
    mbr, hidden = folder / f"{disk}-mbr", folder / f"{disk}-hidden-data-after-mbr"
    return ClonezillaImage(
        folder,
        disk,
        table,
        tuple(saved),
        sector,
        needed * sector,
        in_parts * sector,
        entries=tuple(_entries(table)),
        swaps=_swaps(folder),
        mbr=mbr if mbr.is_file() else None,
        hidden_after_mbr=hidden if hidden.is_file() else None,
    )


def partition_node(device: str, number: int) -> str:
    """/dev/sdb + 2 -> /dev/sdb2; /dev/nvme0n1 or /dev/loop3 + 2 -> ...p2."""
    return f"{device}p{number}" if device[-1].isdigit() else f"{device}{number}"


def table_for(image: ClonezillaImage, device: str, last_size: int | None = None) -> str:
    """The saved table, addressed to `device`, without what ties it to the old disk's size:
    sfdisk then puts the backup GPT at the end of the (larger) target. `last_size` (sectors)
    shrinks the last partition to fit a smaller disk."""
    last = image.last_entry.number if image.entries else -1
    lines = []
    for line in image.table.splitlines():
        if re.match(r"^(device|last-lba):", line):
            continue
        named = re.match(r"^(\S+)\s*:\s*(start=.*)$", line)
        if named is not None:
            number = _number(named.group(1))
            rest = named.group(2)
            if number == last and last_size is not None:
                rest = re.sub(r"size=\s*\d+", f"size={last_size}", rest, count=1)
            line = f"{partition_node(device, number)} : {rest}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def used_files(image: ClonezillaImage) -> list[str]:
    """Every file a restore reads: each must be in the profile's manifest."""
    names = ["disk", "parts", f"{image.disk}-pt.sf"]
    names += [swap.info.name for swap in image.swaps]
    names += [p.name for p in (image.mbr, image.hidden_after_mbr) if p is not None]
    return names + [piece.name for part in image.partitions for piece in part.pieces]
