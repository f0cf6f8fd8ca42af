"""What loop devices rest on: the in-use signals the kernel keeps outside `holders/`.

A loop device built on a block device (`losetup /dev/loop1 /dev/loop0`) does not appear in
loop0's `holders/`, and opening loop0 with O_EXCL still succeeds; a loop device built on a
file of a filesystem on the disk keeps that filesystem busy even after a lazy unmount
(`umount -l`), when mountinfo no longer shows it. Swap files are the same: /proc/swaps
names the file, not the disk it lies on.

For each loop device we read `loop/backing_file`, and (on the real /sys) ask the kernel
with LOOP_GET_STATUS64, whose `lo_device`/`lo_rdevice` are the device numbers of the
backing file's filesystem and of the backing block device: they stay right when the
path no longer resolves.
"""

from __future__ import annotations

import fcntl
import logging
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from station.devices import sysfs

log = logging.getLogger(__name__)

LOOP_GET_STATUS64 = 0x4C05
# struct loop_info64 starts with lo_device, lo_inode, lo_rdevice (u64 each); 232 bytes.
_LOOP_INFO64 = struct.Struct("=QQQ")
_LOOP_INFO64_SIZE = 232


@dataclass(frozen=True)
class Backing:
    loop: str  # the loop device resting on something, e.g. "loop1"
    path: str  # its backing file as the kernel names it
    fs_device: tuple[int, int] | None  # the filesystem holding a backing file
    block_device: tuple[int, int] | None  # the backing block device itself


def _split(number: int) -> tuple[int, int] | None:
    return (os.major(number), os.minor(number)) if number else None


def _from_kernel(name: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None] | None:
    try:
        fd = os.open(f"/dev/{name}", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        buffer = bytearray(_LOOP_INFO64_SIZE)
        fcntl.ioctl(fd, LOOP_GET_STATUS64, buffer)
    except OSError:
        return None  # not bound (ENXIO) or not a loop device
    finally:
        os.close(fd)
    device, _inode, rdevice = _LOOP_INFO64.unpack_from(buffer)
    return _split(device), _split(rdevice)


def _from_path(path: str) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    try:
        info = Path(path.removesuffix(" (deleted)")).stat()
    except OSError:
        return None, None
    if stat.S_ISBLK(info.st_mode):
        return None, (os.major(info.st_rdev), os.minor(info.st_rdev))
    return (os.major(info.st_dev), os.minor(info.st_dev)), None


def loop_backings(sys_root: Path = sysfs.SYS) -> list[Backing]:
    """Every bound loop device and what it rests on."""
    found = []
    for name in sysfs.whole_disks(sys_root):
        if not name.startswith("loop"):
            continue
        path = sysfs.loop_backing_file(name, sys_root)
        if path is None:
            continue
        numbers = _from_kernel(name) if sys_root == sysfs.SYS else None
        fs_device, block_device = numbers if numbers is not None else _from_path(path)
        found.append(Backing(name, path, fs_device, block_device))
    return found


def _on_disk(number: tuple[int, int] | None, disk: str, sys_root: Path) -> bool:
    if number is None:
        return False
    name = sysfs.name_for_devnum(*number, sys_root=sys_root)
    return name is not None and disk in sysfs.leaf_disks(name, sys_root)


def backed_by(disk: str, sys_root: Path = sysfs.SYS) -> list[str]:
    """Loop devices resting on `disk`: on the device itself or one of its partitions
    ('loop0 → loop1'), or on a file of a filesystem there ('loop0 → loop2 (/x.img)')."""
    found = []
    for backing in loop_backings(sys_root):
        if backing.loop == disk:
            continue
        if _on_disk(backing.block_device, disk, sys_root):
            found.append(f"{disk} → {backing.loop}")
        elif _on_disk(backing.fs_device, disk, sys_root):
            found.append(f"{disk} → {backing.loop} ({backing.path})")
    return found


def swap_files_on(disk: str, swaps: list[str], sys_root: Path = sysfs.SYS) -> list[str]:
    """Swap files (not partitions) that lie on a filesystem of `disk`."""
    found = []
    for swap in swaps:
        try:
            info = Path(swap.removesuffix(" (deleted)")).stat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and _on_disk(
            (os.major(info.st_dev), os.minor(info.st_dev)), disk, sys_root
        ):
            found.append(swap)
    return found
