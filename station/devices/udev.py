"""Finding disks with pyudev, and following hot-plug while the bench runs.

`list_disks()` enumerates whole disks (subsystem block, DEVTYPE disk) and inspects each
one (identity + eligibility, station.devices.safety). `DiskWatcher` then follows add,
remove and change events with a pyudev MonitorObserver:
- the monitor is started *before* enumerating, so a disk plugged in between the two is
  not lost; the duplicate this creates (enumerated and announced) is dropped;
- change events for disks in work are ignored: udev re-probes a disk each time a writer
  closes it (docs/sanitization.md, pitfall 12); the jobs layer registers those disks in `busy`.
Without a udev daemon (a bare host, CI) ID_* properties are missing: identity then falls
back to sysfs, and the watcher listens to the kernel's own events instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyudev

from station.devices import mounts, sysfs
from station.devices.runner import Runner
from station.devices.safety import TargetInspection, current_boot_medium, inspect_block
from station.domain.boot_medium import BootMedium
from station.domain.disk import SlotMap

log = logging.getLogger(__name__)

# Never a disk to erase: RAM disks, optical drives, floppies, and the virtual devices
# built on top of real disks (their members are what gets listed).
ALWAYS_HIDDEN = ("ram", "zram", "sr", "fd", "dm-", "md", "nbd")
LOOP = "loop"


@dataclass(frozen=True)
class Selection:
    """Which block devices count as disks to list."""

    include_loop: bool = False  # the demo and tests use loop devices as disks
    include_all: bool = False  # also zram, dm, md, optical... (diagnosis)

    def wants(self, name: str, sys_root: Path = sysfs.SYS) -> bool:
        if name.startswith(LOOP):
            # An unattached loop device is no disk at all, even when loops are wanted.
            return self.include_loop and sysfs.loop_backing_file(name, sys_root) is not None
        if self.include_all:
            return True
        if sysfs.read_attr(sysfs.block_dir(name, sys_root) / "hidden") == "1":
            return False  # NVMe multipath paths: the head device is listed instead
        return not name.startswith(ALWAYS_HIDDEN)


def _props(device: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in device.properties.items()}


def _inspect(device: Any, boot: BootMedium, runner: Runner | None = None) -> TargetInspection:
    path = device.device_node or f"/dev/{device.sys_name}"
    return inspect_block(
        path,
        device.sys_name,
        sys_root=sysfs.SYS,
        proc_root=mounts.PROC,
        run_root=sysfs.RUN,
        boot=boot,
        props=_props(device),
        runner=runner,
    )


def with_slots(inspections: Iterable[TargetInspection], slots: SlotMap) -> list[TargetInspection]:
    """Give each disk its bench slot, then sort by slot (the order of the bench)."""
    listed = list(inspections)
    slots.assign(i.identity.id_path for i in listed if i.identity.id_path)
    slotted = [
        i.model_copy(update={"identity": i.identity.with_slot(slots.slot_for(i.identity.id_path))})
        for i in listed
    ]
    return sorted(slotted, key=lambda i: (i.identity.slot or 10**6, i.identity.name))


def list_disks(
    selection: Selection = Selection(),
    *,
    slots: SlotMap | None = None,
    boot: BootMedium | None = None,
    context: Any = None,
) -> list[TargetInspection]:
    context = context or pyudev.Context()
    boot = boot or current_boot_medium()
    devices = context.list_devices(subsystem="block", DEVTYPE="disk")
    found = [_inspect(d, boot) for d in devices if selection.wants(d.sys_name)]
    return with_slots(found, slots or SlotMap())


class Action(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"


class EventFilter:
    """Turns the raw stream (enumeration + monitor) into one add per disk, one remove,
    and changes that matter. Pure bookkeeping, so it is tested without any event."""

    def __init__(self) -> None:
        self.busy: set[str] = set()  # kernel names of disks in work (jobs layer)
        self._known: dict[str, str] = {}  # name -> key of the media seen (DISKSEQ)
        self._lock = threading.Lock()

    def feed(self, action: str, name: str, key: str, present: bool) -> Action | None:
        """What to report for one event, or None to drop it. `present` says whether
        the device is a disk we list right now (e.g. a loop device with a file)."""
        with self._lock:
            known = self._known.get(name)
            if action == "remove" or (action == "change" and not present):
                if known is None:
                    return None
                del self._known[name]
                return Action.REMOVE
            if not present:
                return None
            if known is None:
                self._known[name] = key
                return Action.ADD
            if action == "add" and known == key:
                return None  # enumerated and announced: the race, seen twice
            if name in self.busy:
                return None  # our own writes make udev re-probe the disk
            self._known[name] = key
            return Action.CHANGE

    def forget(self, name: str) -> None:
        with self._lock:
            self._known.pop(name, None)


@dataclass(frozen=True)
class DiskEvent:
    action: Action
    name: str
    inspection: TargetInspection | None  # None on remove


def _event_key(device: Any) -> str:
    # DISKSEQ (Linux >= 5.15) changes with each new media or loop attachment.
    return str(device.properties.get("DISKSEQ") or device.device_number)


def udev_daemon_running(run_root: Path = sysfs.RUN) -> bool:
    return (Path(run_root) / "udev" / "control").exists()


class DiskWatcher:
    """Lists the disks, then reports hot-plug as DiskEvents to `on_event` (called from
    the observer thread: keep it short, e.g. post a message to the UI)."""

    def __init__(
        self,
        on_event: Callable[[DiskEvent], None],
        selection: Selection = Selection(),
        *,
        slots: SlotMap | None = None,
        boot: BootMedium | None = None,
        source: str | None = None,
        runner: Runner | None = None,
    ) -> None:
        self.on_event = on_event
        self.selection = selection
        self.slots = slots or SlotMap()
        self.boot = boot
        self.runner = runner  # asks a drive whether a sanitize is still running
        self.source = source or ("udev" if udev_daemon_running() else "kernel")
        self.filter = EventFilter()
        self._last: dict[str, TargetInspection] = {}  # what was last reported per disk
        self._context = pyudev.Context()
        self._observer: Any = None

    @property
    def busy(self) -> set[str]:
        return self.filter.busy

    def start(self) -> list[TargetInspection]:
        """Start watching and return the disks present now (their adds are not repeated)."""
        self.boot = self.boot or current_boot_medium()
        monitor = pyudev.Monitor.from_netlink(self._context, source=self.source)
        monitor.filter_by("block", device_type="disk")
        monitor.start()  # receiving from now on: nothing slips between list and watch
        self._observer = pyudev.MonitorObserver(
            monitor, callback=self._on_device, name="station-disk-watcher"
        )
        self._observer.start()
        present = []
        for device in self._context.list_devices(subsystem="block", DEVTYPE="disk"):
            wanted = self.selection.wants(device.sys_name)
            if self.filter.feed("add", device.sys_name, _event_key(device), wanted):
                present.append(_inspect(device, self.boot, self.runner))
        listed = with_slots(present, self.slots)
        self._last.update((i.identity.name, i) for i in listed)
        return listed

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer = None

    def _on_device(self, device: Any) -> None:
        # An exception here would end pyudev's observer thread for good: log it instead.
        try:
            self._handle(device)
        except Exception:
            log.exception("disk watcher: event for %s not handled", device.sys_name)

    def _handle(self, device: Any) -> None:
        name = device.sys_name
        present = device.action != "remove" and self.selection.wants(name)
        action = self.filter.feed(device.action, name, _event_key(device), present)
        if action is None:
            return
        inspection = None
        if action is Action.REMOVE:
            self._last.pop(name, None)
        else:
            assert self.boot is not None
            [inspection] = with_slots([_inspect(device, self.boot, self.runner)], self.slots)
            if action is Action.CHANGE and self._last.get(name) == inspection:
                return  # a re-probe that changed nothing we show
            self._last[name] = inspection
        self.on_event(DiskEvent(action=action, name=name, inspection=inspection))
