"""inspect_target's block-device path over fake /sys + /proc + /run trees.

Holders (dm, md) cannot be made on this host's kernel (no device-mapper): they are shown
here on a fake tree laid out like the real one; the VM tier shows real ones. Real loop
devices are covered by tests/block/test_safety*.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from station.devices.boot_signals import gather_boot_signals
from station.devices.safety import TargetInspection, inspect_devnum, inspect_target
from station.domain.boot_medium import judge_boot_medium
from station.domain.disk import Bus, SlotMap
from station.domain.eligibility import RefusalCode
from station.errors import UsageError
from tests.unit.sysfs_tree import ATA_CHAIN, USB_CHAIN, FakeHost

MARKER = "5e2c3b6a-9a43-4bc6-8a1f-0f4d2c1e7d90"


def ata(n: int) -> str:
    return ATA_CHAIN.format(n=n)


@pytest.fixture
def installed(tmp_path: Path) -> FakeHost:
    """An installed workstation: sda is the system disk, the others show one problem each."""
    host = FakeHost(tmp_path)
    host.disk("sda", 8, 0, chain=ata(0))
    host.partition("sda", 1, 8, 1)  # /boot/efi
    host.partition("sda", 2, 8, 2)  # /
    host.partition("sda", 3, 8, 3)  # swap
    host.disk("sdb", 8, 16, chain=ata(1), device_attrs={"model": "ST1000DM010-2EP1"})
    host.disk("sdc", 8, 32, chain=ata(2))
    host.partition("sdc", 1, 8, 33)
    host.holder("sdc1", "dm-0", 253, 0, dm_name="vg-data")
    host.disk("sdd", 8, 48, chain=ata(3), ro=True)
    host.disk("sde", 8, 64, chain=USB_CHAIN.format(n=1, h=6), size_bytes=0, removable=True)
    host.disk("sdf", 8, 80, chain=ata(4))
    host.holder("sdf", "md127", 9, 127)
    host.disk("sdg", 8, 96, chain=ata(5))
    host.partition("sdg", 1, 8, 97)
    host.disk("sdh", 8, 112, chain=ata(6))
    host.partition("sdh", 2, 8, 114)
    host.mount(8, 2, "/")
    host.mount(8, 1, "/boot/efi")
    host.mount(253, 0, "/srv")
    host.mount(8, 97, "/media/usb stick")
    host.swaps.append("/dev/sdh2")
    return host.write()


def inspect(host: FakeHost, name: str, major: int, minor: int) -> TargetInspection:
    return inspect_devnum(f"/dev/{name}", major, minor, **host.roots())


def test_an_idle_disk_is_eligible(installed: FakeHost) -> None:
    result = inspect(installed, "sdb", 8, 16)
    assert result.eligibility.eligible, result.eligibility.reason_texts()
    assert result.identity.model == "ST1000DM010-2EP1"
    assert result.identity.bus is Bus.ATA


def test_the_system_disk_of_an_installed_host(installed: FakeHost) -> None:
    result = inspect(installed, "sda", 8, 0)
    assert result.eligibility.codes == [RefusalCode.SYSTEM_DISK, RefusalCode.MOUNTED]
    mounted = result.eligibility.reason_texts("en")[1]
    assert "sda2 → /" in mounted and "sda1 → /boot/efi" in mounted


def test_a_mounted_partition_refuses_its_disk(installed: FakeHost) -> None:
    result = inspect(installed, "sdg", 8, 96)
    assert result.eligibility.codes == [RefusalCode.MOUNTED]
    assert "/media/usb stick" in result.eligibility.reason_texts("fr")[0]


def test_a_holder_on_a_partition_refuses_the_disk(installed: FakeHost) -> None:
    result = inspect(installed, "sdc", 8, 32)
    # dm-0 over sdc1 is mounted on /srv: the disk is both held and (through dm-0) mounted
    assert result.eligibility.codes == [RefusalCode.MOUNTED, RefusalCode.HOLDERS]
    texts = result.eligibility.reason_texts("en")
    assert "dm-0 → /srv" in texts[0]
    assert "sdc1 → dm-0 [vg-data]" in texts[1]


def test_a_holder_on_the_whole_disk(installed: FakeHost) -> None:
    result = inspect(installed, "sdf", 8, 80)
    assert result.eligibility.codes == [RefusalCode.HOLDERS]
    assert "sdf → md127" in result.eligibility.reason_texts("en")[0]


def test_swap_on_a_partition(installed: FakeHost) -> None:
    result = inspect(installed, "sdh", 8, 112)
    assert result.eligibility.codes == [RefusalCode.SWAP]


def test_read_only_and_zero_size(installed: FakeHost) -> None:
    assert inspect(installed, "sdd", 8, 48).eligibility.codes == [RefusalCode.READ_ONLY]
    assert inspect(installed, "sde", 8, 64).eligibility.codes == [RefusalCode.ZERO_SIZE]


def test_a_partition_is_not_a_disk(installed: FakeHost) -> None:
    result = inspect(installed, "sdc1", 8, 33)
    assert result.eligibility.codes == [RefusalCode.NOT_A_DISK]
    assert "partition of sdc" in result.eligibility.reason_texts("en")[0]


def test_an_unknown_device_number_is_refused(installed: FakeHost) -> None:
    assert inspect(installed, "sdz", 65, 0).eligibility.codes == [RefusalCode.NOT_A_DISK]


def test_root_on_lvm_over_raid_marks_every_member(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    for index, name in enumerate(["sda", "sdb"]):
        host.disk(name, 8, 16 * index, chain=ata(index))
        host.partition(name, 1, 8, 16 * index + 1)
        host.holder(f"{name}1", "md0", 9, 0)
    host.holder("md0", "dm-0", 253, 0, dm_name="vg-root")
    host.mount(253, 0, "/")
    host.write()
    for index, name in enumerate(["sda", "sdb"]):
        codes = inspect(host, name, 8, 16 * index).eligibility.codes
        assert codes == [RefusalCode.SYSTEM_DISK, RefusalCode.MOUNTED, RefusalCode.HOLDERS]


def test_slot_from_the_udev_id_path(installed: FakeHost) -> None:
    installed.udev(8, 16, {"ID_PATH": "pci-0000:00:1f.2-ata-2", "ID_SERIAL_SHORT": "ZN1234"})
    slots = SlotMap({"pci-0000:00:1f.2-ata-2": 7})
    result = inspect_devnum("/dev/sdb", 8, 16, slot_map=slots, **installed.roots())
    assert result.identity.slot == 7
    assert result.identity.serial == "ZN1234"


@pytest.fixture
def live(tmp_path: Path) -> FakeHost:
    """A bench booted from a USB stick (sdb, its ISO partition mounted at /run/live/medium);
    sda is the laptop's own disk to be erased. The root is an overlay (no disk)."""
    host = FakeHost(tmp_path)
    host.disk("sda", 8, 0, chain=ata(0))
    host.disk("sdb", 8, 16, chain=USB_CHAIN.format(n=1, h=6), removable=True, rotational=False)
    host.partition("sdb", 1, 8, 17)
    host.disk("sdc", 8, 32, chain=USB_CHAIN.format(n=2, h=7), removable=True, rotational=False)
    host.mount(0, 30, "/", source="overlay")
    host.mount(8, 17, "/run/live/medium", source="/dev/sdb1")
    host.udev(8, 17, {"ID_FS_UUID": MARKER.upper(), "ID_FS_TYPE": "iso9660"})
    host.udev(8, 32, {"ID_FS_UUID": "0000-1111"})
    host.cmdline = f"BOOT_IMAGE=/live/vmlinuz boot=live components station.marker={MARKER} quiet"
    host.live()
    return host


def test_live_stick_is_refused_and_the_laptop_disk_is_not(live: FakeHost) -> None:
    live.write()
    assert inspect(live, "sdb", 8, 16).eligibility.codes == [
        RefusalCode.BOOT_MEDIUM,
        RefusalCode.MOUNTED,
    ]
    assert inspect(live, "sda", 8, 0).eligibility.eligible
    assert inspect(live, "sdc", 8, 32).eligibility.eligible


def test_marker_alone_finds_the_stick_when_the_medium_is_not_mounted(live: FakeHost) -> None:
    live.mountinfo.pop()  # toram: the stick was unmounted after copying
    live.write()
    assert inspect(live, "sdb", 8, 16).eligibility.codes == [RefusalCode.BOOT_MEDIUM]
    assert inspect(live, "sda", 8, 0).eligibility.eligible


def test_toram_the_marker_names_the_stick_behind_the_ram_copy(live: FakeHost) -> None:
    # live-boot's toram: /run/live/medium is a tmpfs copy, which names no disk.
    live.mountinfo[-1:] = []
    live.mount(0, 45, "/run/live/medium", source="tmpfs", fs_type="tmpfs")
    live.cmdline += " toram"
    live.write()
    assert inspect(live, "sdb", 8, 16).eligibility.codes == [RefusalCode.BOOT_MEDIUM]
    assert inspect(live, "sda", 8, 0).eligibility.eligible


def test_toram_with_the_stick_pulled_offers_the_other_disks(live: FakeHost) -> None:
    live.mountinfo[-1:] = []
    live.mount(0, 45, "/run/live/medium", source="tmpfs", fs_type="tmpfs")
    live.cmdline = "boot=live toram station.marker=ffffffff-0000-0000-0000-000000000000"
    live.write()
    assert inspect(live, "sda", 8, 0).eligibility.eligible
    assert inspect(live, "sdc", 8, 32).eligibility.eligible


def test_network_boot_has_no_stick_and_offers_the_disks(live: FakeHost) -> None:
    # Booted from the classroom server (docs/classroom.md): live-boot's fetch= put the
    # squashfs in RAM, nothing is mounted from a disk, the marker names no disk.
    live.mountinfo.pop()
    live.cmdline = (
        "boot=live fetch=http://192.168.50.2:8080/live/filesystem.squashfs "
        "station.marker=0000-0000 station.classroom=http://192.168.50.2:8080/"
    )
    live.write()
    for codes in all_codes(live):
        assert RefusalCode.BOOT_MEDIUM_UNCLEAR not in codes, codes
    assert inspect(live, "sda", 8, 0).eligibility.eligible


def all_codes(host: FakeHost) -> list[list[RefusalCode]]:
    disks = [("sda", 8, 0), ("sdb", 8, 16), ("sdc", 8, 32)]
    return [inspect(host, *disk).eligibility.codes for disk in disks]


def test_marker_on_no_disk_refuses_all(live: FakeHost) -> None:
    live.cmdline = "boot=live station.marker=ffffffff-0000-0000-0000-000000000000"
    live.write()
    for codes in all_codes(live):
        assert RefusalCode.BOOT_MEDIUM_UNCLEAR in codes


def test_medium_and_marker_on_different_disks_refuses_all(live: FakeHost) -> None:
    live.cmdline = "boot=live station.marker=0000-1111"  # carried by sdc, not by the medium
    live.write()
    for codes in all_codes(live):
        assert RefusalCode.BOOT_MEDIUM_UNCLEAR in codes


def test_live_without_any_way_to_name_the_stick_refuses_all(live: FakeHost) -> None:
    live.mountinfo.pop()
    live.cmdline = "boot=live quiet"
    live.write()
    for codes in all_codes(live):
        assert codes[0] is RefusalCode.BOOT_MEDIUM_UNCLEAR


def test_live_root_on_another_disk_refuses_all(live: FakeHost) -> None:
    live.mountinfo[0] = "20 1 8:0 / / rw - ext4 /dev/sda rw"
    live.write()
    verdict = judge_boot_medium(gather_boot_signals(**live.roots()))
    assert verdict.unclear is not None
    for codes in all_codes(live):
        assert RefusalCode.BOOT_MEDIUM_UNCLEAR in codes


def test_boot_signals_gathered_from_the_tree(live: FakeHost) -> None:
    live.write()
    signals = gather_boot_signals(**live.roots())
    assert signals.live_dir_present and signals.cmdline_live
    assert signals.medium_disks == frozenset({"sdb"})
    assert signals.marker_uuid == MARKER
    assert signals.marker_disks == {"sdb"}
    assert signals.root_disks == frozenset()


def test_a_fake_tree_never_probes_the_host_with_blkid(live: FakeHost) -> None:
    # Without udev data the marker cannot be found on a fake tree: blkid is not run on
    # the host's /dev (which would be the wrong machine), so the verdict is unclear.
    for name in ("b8:17", "b8:32"):
        (live.run / "udev" / "data" / name).unlink()
    live.write()
    signals = gather_boot_signals(**live.roots())
    assert signals.marker_disks == frozenset()
    assert judge_boot_medium(signals).unclear is not None
    probed: list[str] = []
    gather_boot_signals(uuid_fallback=lambda name: probed.append(name) or set(), **live.roots())
    assert sorted(probed) == ["sda", "sdb", "sdb1", "sdc"]


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such disk or file"):
        inspect_target(str(tmp_path / "nope.img"))
