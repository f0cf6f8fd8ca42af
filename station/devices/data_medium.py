"""Is the stick that holds the journal still there, and when it comes back, mount it
again. The live stick's station-data-mount names the data partition's device in
STATION_DATA_DEVICE and its filesystem UUID (the boot marker) in STATION_DATA_UUID
(/run/station/env). When that device node is gone (a USB stick pulled) or has no size
left (a loop device whose backing went away), the stick is out and nothing can be
recorded until it is back. Without STATION_DATA_DEVICE (a workstation, the demo) the
data folder is a plain disk folder and always counts as present.

Nothing in the live image mounts a stick put back (no automounter): `DataMedium.remount`
finds the partition by its UUID, lets go of the stale mount the pull left, repairs the
filesystem (a pulled FAT is dirty) and mounts it where it was, with the same options as
station-data-mount."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, MutableMapping
from pathlib import Path

from station.devices.mounts import MountEntry, read_mountinfo
from station.devices.runner import Runner

log = logging.getLogger(__name__)

DEVICE_ENV = "STATION_DATA_DEVICE"
UUID_ENV = "STATION_DATA_UUID"
ENV_FILE = Path("/run/station/env")
BY_UUID = Path("/dev/disk/by-uuid")
# As station-data-mount (live-image/config/includes.chroot/usr/local/sbin): FAT has no
# owners, so the options make every file root's alone.
MOUNT_OPTIONS = {
    "vfat": "rw,noatime,flush,quiet,uid=0,gid=0,fmask=0177,dmask=0077,utf8,shortname=mixed",
}
DEFAULT_OPTIONS = "rw,noatime"

Finder = Callable[[str], "str | None"]


def data_medium_present(environ: MutableMapping[str, str] | None = None) -> bool:
    """False only when the data partition's device was named and has disappeared."""
    device = (os.environ if environ is None else environ).get(DEVICE_ENV, "")
    if not device:
        return True
    path = Path(device)
    if not path.exists():
        return False
    return not path.is_block_device() or block_sectors(path) != 0


def block_sectors(device: Path) -> int | None:
    """The device's size in sectors from sysfs (None when sysfs does not say)."""
    size = Path("/sys/class/block") / Path(os.path.realpath(device)).name / "size"
    try:
        return int(size.read_text().strip())
    except (OSError, ValueError):
        return None


def disk_seq(device: str) -> str | None:
    """The kernel's sequence number of the disk holding `device` (new at each plug)."""
    node = Path("/sys/class/block") / Path(os.path.realpath(device)).name
    for folder in (node, node.resolve().parent):
        try:
            return (folder / "diskseq").read_text().strip()
        except OSError:
            continue
    return None


class DataMedium:
    """The stick's data partition, mounted at `mount_point` (the data folder)."""

    def __init__(
        self,
        mount_point: Path,
        runner: Runner,
        find: Finder | None = None,
        environ: MutableMapping[str, str] | None = None,
        env_file: Path = ENV_FILE,
    ) -> None:
        self.mount_point = mount_point
        self.runner = runner
        self.environ = os.environ if environ is None else environ
        self.find = find or self.find_by_uuid
        self.env_file = env_file
        self._stale_mount: int | None = None  # the mount the pull left behind
        self._refused: tuple[str, str | None] | None = None  # (device, disk_seq) refused

    def lost(self) -> None:
        """The stick was seen missing: the mount now at the data folder is stale (a stick
        put back may get the same device name, so the name cannot tell)."""
        if self._stale_mount is None:
            entry = self._mount()
            self._stale_mount = entry.mount_id if entry else -1

    @property
    def managed(self) -> bool:
        """A stick Station can follow: it was named by station-data-mount."""
        return bool(self.environ.get(DEVICE_ENV))

    def present(self) -> bool:
        return data_medium_present(self.environ)

    def uuid(self) -> str | None:
        return self.environ.get(UUID_ENV) or None

    def find_by_uuid(self, uuid: str) -> str | None:
        """The partition with this filesystem UUID: udev's link; a blkid probe of every
        disk only without udev (asked every second, it would read the disks in work)."""
        link = BY_UUID / uuid
        if link.exists():
            return os.path.realpath(link)
        if BY_UUID.parent.is_dir():
            return None
        found = self.runner.run(["blkid", "-c", "/dev/null", "-U", uuid], timeout=15)
        return found.stdout.strip() or None if found.ok else None

    def remount(self) -> str | None:
        """Mount the data partition again if it is back; its device, or None while it
        is not there (or cannot be mounted: logged, tried again on the next call)."""
        uuid = self.uuid()
        if uuid is None:
            # Nothing to find it by (a data partition mounted by hand): trust its mount.
            return self.environ.get(DEVICE_ENV) if self.present() else None
        device = self.find(uuid)
        if device is None or self.still_refused(device):
            return None
        entry = self._mount()
        if entry is not None and entry.mount_id != self._stale_mount and entry.source == device:
            return self._remember(device)  # mounted again already (by hand, on tty2)
        fs_type = self._fs_type(device)
        if fs_type is None:
            return None
        if entry is not None:
            # The pull left the old mount (its device gone): let go of it lazily, Station's
            # own files on it are closed by the journal's reopen.
            self.runner.run(["umount", "-l", str(self.mount_point)], timeout=30)
        repair = self.runner.run([f"fsck.{fs_type}", "-a", device], timeout=120)
        log.info("data partition %s back: %s", device, repair.describe())
        options = MOUNT_OPTIONS.get(fs_type, DEFAULT_OPTIONS)
        argv = ["mount", "-t", fs_type, "-o", options, device, str(self.mount_point)]
        mounted = self.runner.run(argv, timeout=30)
        if not mounted.ok:
            log.warning("data partition not mounted again: %s", mounted.describe())
            return None
        return self._remember(device)

    def refuse(self, device: str) -> None:
        """Not this bench's stick: unmount it and leave it alone while it stays plugged
        (the kernel's disk sequence number tells a stick put in again from it)."""
        self.runner.run(["umount", "-l", str(self.mount_point)], timeout=30)
        self._refused = (device, disk_seq(device))
        self._stale_mount = -1

    def still_refused(self, device: str | None = None) -> bool:
        """The refused stick is still the one plugged (at `device`, or where it was)."""
        if self._refused is None:
            return False
        name = device or self._refused[0]
        plugged = Path(name).exists() and block_sectors(Path(name)) != 0
        if plugged and (name, disk_seq(name)) == self._refused:
            return True
        if device is None:
            self._refused = None
        return False

    def _fs_type(self, device: str) -> str | None:
        probe = self.runner.run(["blkid", "-p", "-o", "value", "-s", "TYPE", device], timeout=15)
        fs_type = probe.stdout.strip()
        if not probe.ok or not re.fullmatch(r"[a-z0-9]+", fs_type):
            log.warning("data partition %s: no filesystem seen (%s)", device, probe.describe())
            return None
        return fs_type

    def _mount(self) -> MountEntry | None:
        """The last mount at the mount point (the one seen there), None when none."""
        target = os.path.realpath(self.mount_point)
        entries = [e for e in read_mountinfo() if e.mount_point == target]
        return entries[-1] if entries else None

    def _remember(self, device: str) -> str:
        """The new device name, here and in /run/station/env for the commands on tty2."""
        self.environ[DEVICE_ENV] = device
        self._stale_mount = None
        try:
            text = self.env_file.read_text()
            line = f"{DEVICE_ENV}={device}"
            text, count = re.subn(rf"^{DEVICE_ENV}=.*$", line, text, flags=re.M)
            self.env_file.write_text(text if count else text + line + "\n")
        except OSError:
            pass  # no env file: not the live stick
        return device
