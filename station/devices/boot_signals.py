"""Gathers the signals that say which disk is the live boot medium and which backs '/'.

The judging is pure (station.domain.boot_medium); this module only reads the system:
/run/live/medium in mountinfo, `station.marker=<uuid>` on the kernel command line matched
against the filesystem/partition UUIDs of each disk (udev's database, else `blkid -p`),
the device of the running root (stat('/').st_dev, followed down dm/md slaves), and
whether the system runs from RAM (`toram`, or `fetch=` for a network boot).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from station.devices import mounts, sysfs
from station.domain.boot_medium import BootSignals

MEDIUM_MOUNT = "/run/live/medium"
RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})
MARKER_KEY = "station.marker"
UUID_KEYS = ("ID_FS_UUID", "ID_FS_UUID_SUB", "ID_PART_ENTRY_UUID", "ID_PART_TABLE_UUID")
BLKID_KEYS = ("UUID", "UUID_SUB", "PART_ENTRY_UUID", "PTUUID", "PARTUUID")

UuidReader = Callable[[str], set[str]]


def blkid_uuids(name: str) -> set[str]:
    """UUIDs blkid reads from the device itself (-p: no cache, so a stale one cannot lie)."""
    try:
        done = subprocess.run(
            ["blkid", "-p", "-o", "export", f"/dev/{name}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    found = set()
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key in BLKID_KEYS and value:
            found.add(value.lower())
    return found


def device_uuids(
    name: str, *, sys_root: Path, run_root: Path, fallback: UuidReader | None
) -> set[str]:
    """UUIDs of one block device: from udev's database when it has an entry, else probed."""
    number = sysfs.devnum(name, sys_root)
    props = sysfs.udev_properties(*number, run_root=run_root) if number else {}
    if props:
        return {props[k].lower() for k in UUID_KEYS if props.get(k)}
    return fallback(name) if fallback else set()


def disks_with_uuid(
    uuid: str, *, sys_root: Path, run_root: Path, fallback: UuidReader | None
) -> frozenset[str]:
    wanted = uuid.lower()
    found = set()
    for disk in sysfs.whole_disks(sys_root):
        for name in [disk, *sysfs.partitions(disk, sys_root)]:
            uuids = device_uuids(name, sys_root=sys_root, run_root=run_root, fallback=fallback)
            if wanted in uuids:
                # A marker inside dm-crypt or md counts for the real disks underneath.
                found |= sysfs.leaf_disks(disk, sys_root)
    return frozenset(found)


def entry_disks(entry: mounts.MountEntry, sys_root: Path) -> frozenset[str] | None:
    """The disks under a mount, or None when its source is not a block device we know."""
    name = sysfs.name_for_devnum(entry.major, entry.minor, sys_root) if entry.major else None
    if name is None and entry.source.startswith("/dev/"):
        # btrfs and a few others report an anonymous device number: trust the source.
        candidate = Path(os.path.realpath(entry.source)).name
        name = candidate if sysfs.exists(candidate, sys_root) else None
    if name is None:
        return None
    return frozenset(sysfs.leaf_disks(name, sys_root))


def root_disks(
    entries: list[mounts.MountEntry], sys_root: Path, root_devnum: tuple[int, int] | None
) -> frozenset[str]:
    if root_devnum is not None and root_devnum[0] != 0:
        name = sysfs.name_for_devnum(*root_devnum, sys_root=sys_root)
        if name is not None:
            return frozenset(sysfs.leaf_disks(name, sys_root))
    root_entries = [e for e in entries if e.mount_point == "/"]
    if root_entries:
        return entry_disks(root_entries[-1], sys_root) or frozenset()
    return frozenset()


def gather_boot_signals(
    *,
    sys_root: Path = sysfs.SYS,
    proc_root: Path = mounts.PROC,
    run_root: Path = sysfs.RUN,
    root_devnum: tuple[int, int] | None = None,
    uuid_fallback: UuidReader | None = None,
) -> BootSignals:
    """Read every signal. `root_devnum` defaults to stat('/') and `uuid_fallback` to
    blkid, but only on the real /sys: a fake tree must never probe the host's disks."""
    sys_root, proc_root, run_root = Path(sys_root), Path(proc_root), Path(run_root)
    real = sys_root == sysfs.SYS
    if root_devnum is None and real:
        st_dev = Path("/").stat().st_dev
        root_devnum = (os.major(st_dev), os.minor(st_dev))
    if uuid_fallback is None and real:
        uuid_fallback = blkid_uuids
    entries = mounts.read_mountinfo(proc_root)
    cmdline = mounts.read_cmdline(proc_root)
    medium_entries = [e for e in entries if e.mount_point == MEDIUM_MOUNT]
    medium: frozenset[str] | None = None
    # toram: live-boot copies the medium into RAM (a tmpfs at /run/live/medium, or the
    # medium unmounted), which names no disk: the marker must then name the stick.
    in_ram = mounts.cmdline_flag(cmdline, "toram")
    # fetch=URL: booted from the network (docs/classroom.md), live-boot downloaded the
    # squashfs into RAM; there is no stick, and the marker the classroom server gives
    # names no disk. As with toram, nothing running is then on a disk.
    if mounts.cmdline_value(cmdline, "fetch"):
        in_ram = True
    if medium_entries and medium_entries[-1].fs_type in RAM_FILESYSTEMS:
        in_ram = True
    elif medium_entries:
        medium = entry_disks(medium_entries[-1], sys_root) or frozenset()
    marker = mounts.cmdline_value(cmdline, MARKER_KEY) or None
    marker_disks = frozenset[str]()
    if marker:
        marker_disks = disks_with_uuid(
            marker, sys_root=sys_root, run_root=run_root, fallback=uuid_fallback
        )
    return BootSignals(
        live_dir_present=(run_root / "live").is_dir(),
        cmdline_live=mounts.cmdline_value(cmdline, "boot") == "live",
        medium_disks=medium,
        marker_uuid=marker,
        marker_disks=marker_disks,
        root_disks=root_disks(entries, sys_root, root_devnum),
        medium_in_ram=in_ram,
    )
