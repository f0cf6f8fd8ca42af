"""Facts about block devices as the kernel publishes them under /sys (and udev under /run).

Every function takes `sys_root` (and `run_root` for udev's database) so unit tests can
hand over a fake tree laid out like the real one:
  class/block/<name> -> ../../devices/.../block/<disk>[/<partition>]
  dev/block/<major>:<minor> -> the same directory
"""

from __future__ import annotations

import re
from pathlib import Path

from station.domain.disk import RawDiskFacts

SYS = Path("/sys")
RUN = Path("/run")
SECTOR = 512  # /sys/.../size counts 512-byte sectors whatever the logical block size


def read_attr(path: Path) -> str | None:
    """A sysfs attribute's text, stripped; None when absent or unreadable."""
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return None


def _int_attr(path: Path, default: int) -> int:
    text = read_attr(path)
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def block_dir(name: str, sys_root: Path = SYS) -> Path:
    return Path(sys_root) / "class" / "block" / name


def exists(name: str, sys_root: Path = SYS) -> bool:
    return block_dir(name, sys_root).is_dir()


def name_for_devnum(major: int, minor: int, sys_root: Path = SYS) -> str | None:
    """The kernel name (sda, loop0p1, dm-0) of a block device number, if it exists."""
    link = Path(sys_root) / "dev" / "block" / f"{major}:{minor}"
    if not link.exists():
        return None
    return link.resolve().name


def devnum(name: str, sys_root: Path = SYS) -> tuple[int, int] | None:
    text = read_attr(block_dir(name, sys_root) / "dev")
    if text is None or ":" not in text:
        return None
    major, minor = text.split(":", 1)
    return int(major), int(minor)


def is_partition(name: str, sys_root: Path = SYS) -> bool:
    return (block_dir(name, sys_root) / "partition").is_file()


def parent_disk(name: str, sys_root: Path = SYS) -> str:
    """The whole disk a partition belongs to (the name itself for a whole disk)."""
    if is_partition(name, sys_root):
        return block_dir(name, sys_root).resolve().parent.name
    return name


def partitions(disk: str, sys_root: Path = SYS) -> list[str]:
    directory = block_dir(disk, sys_root)
    try:
        children = list(directory.iterdir())
    except OSError:
        return []
    return sorted(c.name for c in children if (c / "partition").is_file())


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(child.name for child in Path(path).iterdir())
    except OSError:
        return []


_NAMESPACE = re.compile(r"nvme\d+(?:c\d+)?n(\d+)")


def nvme_namespaces(name: str, sys_root: Path = SYS) -> set[int] | None:
    """The namespace ids next to NVMe namespace `name` (nvme0n1): its siblings under the
    controller, or under the subsystem with native multipath. None when not an NVMe
    namespace or sysfs has no such directory."""
    if _NAMESPACE.fullmatch(name) is None:
        return None
    directory = block_dir(name, sys_root)
    if not directory.is_dir():
        return None
    ids = {
        int(found.group(1))
        for child in _listdir(directory.resolve().parent)
        if (found := _NAMESPACE.fullmatch(child)) is not None
    }
    return ids or None


def holders(name: str, sys_root: Path = SYS) -> list[str]:
    """Devices built on top of this one (dm, md, bcache...)."""
    return _listdir(block_dir(name, sys_root) / "holders")


def slaves(name: str, sys_root: Path = SYS) -> list[str]:
    """Devices this one is built on (the reverse of holders)."""
    return _listdir(block_dir(name, sys_root) / "slaves")


def leaf_disks(name: str, sys_root: Path = SYS, _depth: int = 0) -> set[str]:
    """The whole disks under a device, following dm/md slaves down to real disks."""
    below = slaves(name, sys_root)
    if not below or _depth > 16:
        return {parent_disk(name, sys_root)}
    found: set[str] = set()
    for slave in below:
        found |= leaf_disks(slave, sys_root, _depth + 1)
    return found


def whole_disks(sys_root: Path = SYS) -> list[str]:
    """Every block device that is not a partition (disks, loop, dm, md, zram...)."""
    names = _listdir(Path(sys_root) / "class" / "block")
    return [n for n in names if not is_partition(n, sys_root)]


def loop_backing_file(name: str, sys_root: Path = SYS) -> str | None:
    return read_attr(block_dir(name, sys_root) / "loop" / "backing_file")


def _vpd_serial(device: Path) -> str | None:
    """Unit serial number from the SCSI VPD page 0x80 (what sg_vpd shows), if any."""
    try:
        page = (device / "vpd_pg80").read_bytes()
    except OSError:
        return None
    if len(page) < 4 or page[1] != 0x80:
        return None
    length = int.from_bytes(page[2:4], "big")
    text = page[4 : 4 + length].decode("ascii", errors="replace").strip(" \x00")
    return text or None


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def raw_facts(name: str, sys_root: Path = SYS) -> RawDiskFacts:
    """Identity and media facts of one block device, from sysfs alone."""
    base = block_dir(name, sys_root)
    device = base / "device"
    queue = base / "queue"
    rotational = read_attr(queue / "rotational")
    return RawDiskFacts(
        name=name,
        size_bytes=_int_attr(base / "size", 0) * SECTOR,
        logical_block_size=_int_attr(queue / "logical_block_size", 512) or 512,
        physical_block_size=_int_attr(queue / "physical_block_size", 512) or 512,
        read_only=read_attr(base / "ro") == "1",
        removable=read_attr(base / "removable") == "1",
        rotational=None if rotational is None else rotational == "1",
        model=read_attr(device / "model") or read_attr(device / "name"),
        vendor=read_attr(device / "vendor"),
        serial=_first(
            read_attr(device / "serial"), read_attr(base / "serial"), _vpd_serial(device)
        ),
        wwid=_first(read_attr(base / "wwid"), read_attr(device / "wwid")),
        firmware=_first(
            read_attr(device / "firmware_rev"),
            read_attr(device / "rev"),
            read_attr(device / "fwrev"),
        ),
        device_path=str(base.resolve()),
        mmc_type=read_attr(device / "type") if name.startswith("mmcblk") else None,
    )


def udev_properties(major: int, minor: int, run_root: Path = RUN) -> dict[str, str]:
    """The E: lines of udev's database for a block device ({} where udevd never ran)."""
    path = Path(run_root) / "udev" / "data" / f"b{major}:{minor}"
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {}
    props: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("E:") and "=" in line:
            key, value = line[2:].split("=", 1)
            props[key] = value
    return props


def rescan_disk(name: str, sys_root: Path = SYS) -> bool:
    """Ask the kernel to read a SCSI/ATA disk's capacity again (after an HPA was
    removed, the block device keeps its old size until this). False when not possible."""
    try:
        (block_dir(name, sys_root) / "device" / "rescan").write_text("1\n", encoding="ascii")
    except OSError:
        return False
    return True
