"""Discovery bookkeeping without events: which devices count, the enumerate/monitor race,
busy disks, slots. Real events (pyudev on real loop devices) are in tests/block/."""

from __future__ import annotations

from pathlib import Path

from station.devices.safety import TargetInspection
from station.devices.udev import Action, EventFilter, Selection, with_slots
from station.domain.disk import DiskIdentity, SlotMap
from station.domain.eligibility import DiskFacts, Eligibility
from tests.unit.sysfs_tree import FakeHost


def test_selection_hides_what_is_not_a_disk_to_erase(tmp_path: Path) -> None:
    host = FakeHost(tmp_path)
    for index, name in enumerate(["sda", "zram0", "sr0", "fd0", "dm-0", "md127", "nvme0c0n1"]):
        host.disk(name, 8, index * 16, chain=f"pci0000:00/dev{index}")
    (host.sys / "class" / "block" / "nvme0c0n1" / "hidden").write_text("1\n")
    attached = host.disk("loop1", 7, 1, chain="virtual")
    (attached / "loop").mkdir()
    (attached / "loop" / "backing_file").write_text("/tmp/disk.img\n")
    host.disk("loop2", 7, 2, chain="virtual")  # not attached to any file
    names = ["sda", "zram0", "sr0", "fd0", "dm-0", "md127", "nvme0c0n1", "loop1", "loop2"]

    def listed(selection: Selection) -> list[str]:
        return [n for n in names if selection.wants(n, host.sys)]

    assert listed(Selection()) == ["sda"]
    assert listed(Selection(include_loop=True)) == ["sda", "loop1"]
    assert listed(Selection(include_all=True)) == [
        "sda",
        "zram0",
        "sr0",
        "fd0",
        "dm-0",
        "md127",
        "nvme0c0n1",
    ]


def test_enumerated_then_announced_is_one_add() -> None:
    events = EventFilter()
    assert events.feed("add", "sdb", "12", present=True) is Action.ADD  # enumeration
    assert events.feed("add", "sdb", "12", present=True) is None  # the monitor, late
    assert events.feed("remove", "sdb", "12", present=False) is Action.REMOVE
    assert events.feed("remove", "sdb", "12", present=False) is None


def test_same_name_new_media_is_reported() -> None:
    events = EventFilter()
    events.feed("add", "sdb", "12", present=True)
    events.feed("remove", "sdb", "12", present=False)
    assert events.feed("add", "sdb", "13", present=True) is Action.ADD
    # add without a remove in between (missed event): a new DISKSEQ is a new disk
    assert events.feed("add", "sdb", "14", present=True) is Action.CHANGE


def test_change_on_a_busy_disk_is_ignored() -> None:
    events = EventFilter()
    events.feed("add", "sdc", "20", present=True)
    events.busy.add("sdc")
    assert events.feed("change", "sdc", "20", present=True) is None
    events.busy.discard("sdc")
    assert events.feed("change", "sdc", "20", present=True) is Action.CHANGE


def test_a_busy_disk_that_is_pulled_out_is_still_reported_gone() -> None:
    events = EventFilter()
    events.feed("add", "sdc", "20", present=True)
    events.busy.add("sdc")
    assert events.feed("remove", "sdc", "20", present=False) is Action.REMOVE


def test_change_that_makes_a_device_appear_or_vanish() -> None:
    # A loop device gets a file (change, now present) then loses it (change, gone);
    # a card reader gets a card then loses it.
    events = EventFilter()
    assert events.feed("change", "loop3", "30", present=False) is None
    assert events.feed("change", "loop3", "31", present=True) is Action.ADD
    assert events.feed("change", "loop3", "31", present=False) is Action.REMOVE


def test_unwanted_devices_never_appear() -> None:
    events = EventFilter()
    assert events.feed("add", "zram0", "1", present=False) is None
    assert events.feed("remove", "zram0", "1", present=False) is None


def inspection(name: str, id_path: str | None) -> TargetInspection:
    identity = DiskIdentity(path=f"/dev/{name}", name=name, size_bytes=1, id_path=id_path)
    return TargetInspection(
        identity=identity, eligibility=Eligibility(eligible=True), facts=DiskFacts(name=name)
    )


def test_listing_is_in_slot_order_with_slots_filled() -> None:
    slots = SlotMap({"pci-0000:00:1f.2-ata-2": 1})
    listed = with_slots(
        [
            inspection("sdb", "pci-0000:00:1f.2-ata-1"),
            inspection("sda", "pci-0000:00:1f.2-ata-2"),
            inspection("sdx", None),
        ],
        slots,
    )
    assert [(i.identity.name, i.identity.slot) for i in listed] == [
        ("sda", 1),
        ("sdb", 2),
        ("sdx", None),
    ]
