"""The safety check run before the first write: who is this target, and may we touch it?

`inspect_target(path)` works on block devices and on regular files (a regular file is a
simulated disk). It gathers facts from /sys, /proc/self/mountinfo, /proc/swaps and the
boot-medium signals, and lets the pure `station.domain.eligibility.decide` judge them.
The wipe engine raises TargetRefused when `.eligibility.eligible` is False.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from station.devices import loops, mounts, sysfs
from station.devices.boot_signals import entry_disks, gather_boot_signals
from station.devices.runner import Runner
from station.devices.sanitize_state import sanitize_running
from station.domain.boot_medium import BootMedium, judge_boot_medium
from station.domain.disk import Bus, DiskIdentity, MediaKind, SlotMap, build_identity
from station.domain.eligibility import DiskFacts, Eligibility, decide
from station.domain.text import LocalizedText
from station.errors import UsageError

log = logging.getLogger(__name__)


class TargetInspection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    identity: DiskIdentity
    eligibility: Eligibility
    facts: DiskFacts


def current_boot_medium(
    *, sys_root: Path = sysfs.SYS, proc_root: Path = mounts.PROC, run_root: Path = sysfs.RUN
) -> BootMedium:
    signals = gather_boot_signals(sys_root=sys_root, proc_root=proc_root, run_root=run_root)
    return judge_boot_medium(signals)


def _holder_label(holder: str, sys_root: Path) -> str:
    mapped = sysfs.read_attr(sysfs.block_dir(holder, sys_root) / "dm" / "name")
    return f"{holder} [{mapped}]" if mapped else holder


def holders_in_use(disk: str, sys_root: Path) -> list[str]:
    """Holders of the disk and of each of its partitions, e.g. 'sda2 → dm-0 [vg-root]'."""
    found = [f"{disk} → {_holder_label(h, sys_root)}" for h in sysfs.holders(disk, sys_root)]
    for part in sysfs.partitions(disk, sys_root):
        found += [f"{part} → {_holder_label(h, sys_root)}" for h in sysfs.holders(part, sys_root)]
    return found


def mounts_on(disk: str, entries: list[mounts.MountEntry], sys_root: Path) -> list[str]:
    """Mounts of the disk, its partitions, or anything built on them (dm, md)."""
    found = []
    for entry in entries:
        disks = entry_disks(entry, sys_root)
        if disks and disk in disks:
            number = (entry.major, entry.minor)
            name = sysfs.name_for_devnum(*number, sys_root=sys_root) if entry.major else None
            found.append(f"{name or entry.source} → {entry.mount_point}")
    return found


def _swap_device_name(swap: str, sys_root: Path) -> str | None:
    try:
        info = Path(swap).stat()
    except OSError:
        # Not visible from here (a fake tree in tests): go by the kernel name.
        candidate = Path(swap).name
        return candidate if sysfs.exists(candidate, sys_root) else None
    if stat.S_ISBLK(info.st_mode):
        return sysfs.name_for_devnum(os.major(info.st_rdev), os.minor(info.st_rdev), sys_root)
    return None


def swaps_on(disk: str, swaps: list[str], sys_root: Path) -> list[str]:
    found = []
    for swap in swaps:
        name = _swap_device_name(swap, sys_root)
        if name is not None and disk in sysfs.leaf_disks(name, sys_root):
            found.append(swap)
    return found


def _not_a_disk(path: str, fr: str, en: str) -> TargetInspection:
    facts = DiskFacts(
        name=Path(path).name, is_whole_disk=False, kind_detail=LocalizedText(fr=fr, en=en)
    )
    identity = DiskIdentity(path=path, name=Path(path).name, size_bytes=0)
    return TargetInspection(identity=identity, eligibility=decide(facts), facts=facts)


def _inspect_file(
    path: str, info: os.stat_result, proc_root: Path, sys_root: Path
) -> TargetInspection:
    real = os.path.realpath(path)
    swaps = [s for s in mounts.read_swaps(proc_root) if os.path.realpath(s) == real]
    loops = [
        name
        for name in sysfs.whole_disks(sys_root)
        if name.startswith("loop") and sysfs.loop_backing_file(name, sys_root) == real
    ]
    facts = DiskFacts(
        name=Path(path).name,
        is_file=True,
        size_bytes=info.st_size,
        swaps=swaps,
        holders=[f"{real} → {name}" for name in loops],
    )
    identity = DiskIdentity(
        path=path,
        name=Path(path).name,
        size_bytes=info.st_size,
        bus=Bus.FILE,
        media_kind=MediaKind.VIRTUAL,
    )
    return TargetInspection(identity=identity, eligibility=decide(facts), facts=facts)


def inspect_block(
    path: str,
    name: str,
    *,
    sys_root: Path,
    proc_root: Path,
    run_root: Path,
    boot: BootMedium,
    slot_map: SlotMap | None = None,
    props: Mapping[str, str] | None = None,
    runner: Runner | None = None,
) -> TargetInspection:
    """Inspect a whole disk known by its kernel name (the caller checked it is one).
    `props` are its udev properties when the caller has them (pyudev); otherwise they
    are read from udev's database under `run_root`."""
    raw = sysfs.raw_facts(name, sys_root)
    if props is None:
        number = sysfs.devnum(name, sys_root)
        props = sysfs.udev_properties(*number, run_root=run_root) if number else {}
    identity = build_identity(path, raw, props)
    if slot_map is not None:
        identity = identity.with_slot(slot_map.slot_for(identity.id_path))
    swaps = mounts.read_swaps(proc_root)
    facts = DiskFacts(
        name=name,
        size_bytes=raw.size_bytes,
        read_only=raw.read_only,
        mounts=mounts_on(name, mounts.read_mountinfo(proc_root), sys_root),
        swaps=swaps_on(name, swaps, sys_root) + loops.swap_files_on(name, swaps, sys_root),
        holders=holders_in_use(name, sys_root),
        backs=loops.backed_by(name, sys_root),
        sanitize_in_progress=(
            sanitize_running(identity, runner) if sys_root == sysfs.SYS else False
        ),
        boot=boot,
    )
    return TargetInspection(identity=identity, eligibility=decide(facts), facts=facts)


def inspect_target(
    path: str,
    *,
    sys_root: Path | str = sysfs.SYS,
    proc_root: Path | str = mounts.PROC,
    run_root: Path | str = sysfs.RUN,
    boot: BootMedium | None = None,
    slot_map: SlotMap | None = None,
    runner: Runner | None = None,
) -> TargetInspection:
    """Identity and eligibility of a block device or a regular file.

    Raises UsageError when the path does not exist. `boot` may be passed in when the
    caller already judged the boot medium (listing many disks reads the signals once).
    """
    sys_root, proc_root, run_root = Path(sys_root), Path(proc_root), Path(run_root)
    try:
        info = Path(path).stat()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such disk or file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISREG(info.st_mode):
        if os.path.realpath(path).startswith("/dev/"):
            return _not_a_disk(path, "fichier ordinaire sous /dev", "regular file under /dev")
        return _inspect_file(path, info, proc_root, sys_root)
    if not stat.S_ISBLK(info.st_mode):
        return _not_a_disk(path, "ni un disque ni un fichier", "neither a disk nor a file")
    return inspect_devnum(
        path,
        os.major(info.st_rdev),
        os.minor(info.st_rdev),
        sys_root=sys_root,
        proc_root=proc_root,
        run_root=run_root,
        boot=boot,
        slot_map=slot_map,
        runner=runner,
    )


def inspect_devnum(
    path: str,
    major: int,
    minor: int,
    *,
    sys_root: Path = sysfs.SYS,
    proc_root: Path = mounts.PROC,
    run_root: Path = sysfs.RUN,
    boot: BootMedium | None = None,
    slot_map: SlotMap | None = None,
    runner: Runner | None = None,
) -> TargetInspection:
    """Inspect the block device with this number (what stat() of `path` gave)."""
    name = sysfs.name_for_devnum(major, minor, sys_root)
    if name is None:
        return _not_a_disk(path, "périphérique inconnu du noyau", "device unknown to the kernel")
    if sysfs.is_partition(name, sys_root):
        parent = sysfs.parent_disk(name, sys_root)
        return _not_a_disk(path, f"partition de {parent}", f"partition of {parent}")
    if boot is None:
        boot = current_boot_medium(sys_root=sys_root, proc_root=proc_root, run_root=run_root)
    return inspect_block(
        path,
        name,
        sys_root=sys_root,
        proc_root=proc_root,
        run_root=run_root,
        boot=boot,
        slot_map=slot_map,
        runner=runner,
    )
