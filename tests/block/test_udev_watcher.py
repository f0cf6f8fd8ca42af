"""The disk watcher on real kernel events: loop devices attached, resized and detached.

This host runs no udev daemon, so the watcher listens to the kernel's own uevents (the VM
tier runs it behind systemd-udevd). Other test runs may attach loop devices at the same
time: only events for the devices made here are looked at.
"""

from __future__ import annotations

import queue
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.devices.udev import Action, DiskEvent, DiskWatcher, Selection
from tests.conftest import LoopFactory, backing_file

pytestmark = pytest.mark.block

MIB = 1024 * 1024
WAIT_S = 60  # an upper bound for a failing test, not a measured time


@pytest.fixture
def watcher() -> Iterator[tuple[DiskWatcher, queue.Queue[DiskEvent]]]:
    events: queue.Queue[DiskEvent] = queue.Queue()
    disk_watcher = DiskWatcher(events.put, Selection(include_loop=True))
    disk_watcher.start()
    yield disk_watcher, events
    disk_watcher.stop()


def next_event_for(events: queue.Queue[DiskEvent], names: set[str]) -> DiskEvent:
    while True:
        event = events.get(timeout=WAIT_S)
        if event.name in names:
            return event


def grow(device: str, size: int) -> None:
    with backing_file(device).open("r+b") as handle:
        handle.truncate(size)
    subprocess.run(["losetup", "-c", device], check=True)  # the kernel re-reads the size


def test_attach_resize_and_busy(
    make_loop: LoopFactory, watcher: tuple[DiskWatcher, queue.Queue[DiskEvent]]
) -> None:
    disk_watcher, events = watcher
    first = make_loop(8 * MIB, name="first")
    name = Path(first).name
    added = next_event_for(events, {name})
    assert added.action is Action.ADD
    assert added.inspection is not None and added.inspection.eligibility.eligible
    assert added.inspection.identity.size_bytes == 8 * MIB

    # In work: the change our resize causes is not reported.
    disk_watcher.busy.add(name)
    grow(first, 12 * MIB)
    # A second device's add, seen after it, proves the first change was already handled
    # (the observer thread delivers kernel events in order).
    second = Path(make_loop(8 * MIB, name="second")).name
    event = next_event_for(events, {name, second})
    assert (event.action, event.name) == (Action.ADD, second)

    # Idle again: a change that alters what we show is reported, with the new size.
    disk_watcher.busy.discard(name)
    grow(first, 16 * MIB)
    changed = next_event_for(events, {name})
    assert changed.action is Action.CHANGE
    assert changed.inspection is not None
    assert changed.inspection.identity.size_bytes == 16 * MIB


def test_devices_present_at_start_are_listed_once(make_loop: LoopFactory) -> None:
    device = make_loop(8 * MIB)
    name = Path(device).name
    events: queue.Queue[DiskEvent] = queue.Queue()
    disk_watcher = DiskWatcher(events.put, Selection(include_loop=True))
    try:
        present = disk_watcher.start()
        assert name in [i.identity.name for i in present]
        # A re-probe of an already listed disk is no new disk.
        subprocess.run(["losetup", "-c", device], check=True)
        sentinel = Path(make_loop(8 * MIB, name="sentinel")).name
        event = next_event_for(events, {name, sentinel})
        assert (event.action, event.name) == (Action.ADD, sentinel)
    finally:
        disk_watcher.stop()
