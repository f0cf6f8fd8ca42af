"""Boot 2, "hot-plug": a disk added through QEMU's monitor is seen by Station's udev
watcher; a disk pulled out mid-wipe (device_del) ends `failed` while a disk wiped at the
same time finishes. Runs tests/vm/payloads/hotplug.py inside the VM.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import (
    MIB,
    STICK,
    USB,
    VIRTIO,
    VM,
    Drive,
    VMResult,
    blocks_with_old_data,
    is_all_zero,
    running,
)
from rootfs import BuiltRootfs

from tests.vm.vm_support import describe, finished, payload, step

# The first test of a module boots the VM (and may build the rootfs): minutes, not seconds.
pytestmark = [pytest.mark.vm, pytest.mark.timeout(1500)]

# Throttled writes keep both wipes running long enough for the host to pull the USB disk
# while they are under way (an unthrottled 256 MiB pass takes about a second).
USB_SLOW = Drive(USB.role, USB.bus, USB.serial, write_bps=16 * MIB)
VIRTIO_SLOW = Drive(VIRTIO.role, VIRTIO.bus, VIRTIO.serial, write_bps=24 * MIB)
HOTADD = Drive("hotadd", "usb", "STN-HOTADD-01", size=64 * MIB, hotplug_later=True)
DRIVES = (USB_SLOW, VIRTIO_SLOW, STICK, HOTADD)


@dataclass
class Hotplug:
    vm: VM
    run: VMResult

    @property
    def result(self) -> dict[str, Any] | None:
        return self.run.result


@pytest.fixture(scope="module")
def hotplug(vm_rootfs: BuiltRootfs, vm_workdir: Path) -> Hotplug:
    vm = VM(vm_rootfs, vm_workdir, drives=DRIVES, timeout_s=600)
    with running(vm, payload("hotplug.py"), config={"payload_timeout_s": 500}):
        vm.wait_event("watching", timeout_s=240)
        with vm.qmp() as monitor:
            monitor.drive_add(vm.drive_spec(HOTADD))
            monitor.device_add(vm.device_spec(HOTADD))
            vm.wait_event("wiping", timeout_s=300)
            monitor.device_del(f"dev-{USB_SLOW.role}")
    run = finished(vm)
    return Hotplug(vm, run)


def test_hot_added_disk_is_seen_by_the_watcher(hotplug: Hotplug) -> None:
    found = step(hotplug.result, "hot_add")
    assert HOTADD.serial not in found["present"], "the disk was there before the hot-add"
    assert found["seen"] is True, found["events"]
    [added] = [e for e in found["events"] if e["serial"] == HOTADD.serial]
    assert added["action"] == "add" and added["eligible"] is True, added


def test_both_wipes_were_running_when_the_disk_was_pulled(hotplug: Hotplug) -> None:
    """The premise of the next tests: otherwise they would prove nothing."""
    found = step(hotplug.result, "wipe_and_pull")
    assert found["usb_running_at_pull"] is True, describe(found["usb"])
    assert found["virtio_running_at_pull"] is True, describe(found["virtio"])


def test_disk_pulled_mid_wipe_ends_failed(hotplug: Hotplug) -> None:
    found = step(hotplug.result, "wipe_and_pull")
    usb = found["usb"]
    assert found["usb_gone"] is True
    assert usb["report"] is not None, describe(usb)
    assert usb["report"]["result"] == "failed", usb["report"]
    assert usb["rc"] == 4, describe(usb)
    # Nothing claimed that did not happen: the image really still holds old data.
    assert blocks_with_old_data(hotplug.vm.images["usb"]) != []


def test_disk_wiped_at_the_same_time_finishes(hotplug: Hotplug) -> None:
    virtio = step(hotplug.result, "wipe_and_pull")["virtio"]
    assert virtio["rc"] == 0, describe(virtio)
    assert virtio["report"]["result"] == "cleared", virtio["report"]
    assert is_all_zero(hotplug.vm.images["virtio"])


def test_watcher_sees_the_pulled_disk_go(hotplug: Hotplug) -> None:
    found = step(hotplug.result, "wipe_and_pull")
    assert found["remove_seen"] is True, found["events"]
