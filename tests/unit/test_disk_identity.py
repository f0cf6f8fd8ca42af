"""Disk identity from udev properties first, sysfs after; bus and media kind; bench slots."""

from __future__ import annotations

import pytest

from station.domain.disk import Bus, MediaKind, RawDiskFacts, SlotMap, build_identity, path_key

SATA_PATH = "/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
USB_PATH = (
    "/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb"
)
NVME_PATH = "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1"
VIRTIO_PATH = "/sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda"
MMC_PATH = "/sys/devices/pci0000:00/0000:00:1a.0/mmc_host/mmc0/mmc0:0001/block/mmcblk0"


def raw(name: str, path: str, **extra: object) -> RawDiskFacts:
    return RawDiskFacts.model_validate(
        {"name": name, "size_bytes": 10**9, "device_path": path, **extra}
    )


def test_udev_properties_win_over_sysfs() -> None:
    props = {
        "ID_BUS": "ata",
        "ID_SERIAL_SHORT": "WD-WCC4N0123456",
        "ID_SERIAL": "WDC_WD10EZEX-08WN4A0_WD-WCC4N0123456",
        "ID_WWN": "0x50014ee2b5a1c2d3",
        "ID_MODEL": "WDC_WD10EZEX-08WN4A0",
        "ID_MODEL_ENC": "WDC\\x20WD10EZEX-08WN4A0\\x20\\x20",
        "ID_REVISION": "01.01A01",
        "ID_PATH": "pci-0000:00:1f.2-ata-1",
    }
    identity = build_identity(
        "/dev/sda", raw("sda", SATA_PATH, model="WDC WD10EZEX", rotational=True), props
    )
    assert identity.serial == "WD-WCC4N0123456"
    assert identity.wwn == "0x50014ee2b5a1c2d3"
    assert identity.model == "WDC WD10EZEX-08WN4A0"
    assert identity.firmware == "01.01A01"
    assert identity.bus is Bus.ATA
    assert identity.media_kind is MediaKind.HDD
    assert identity.id_path == "pci-0000:00:1f.2-ata-1"


def test_sysfs_fallbacks_without_udev() -> None:
    identity = build_identity(
        "/dev/nvme0n1",
        raw(
            "nvme0n1",
            NVME_PATH,
            serial="S4EWNX0N123456",
            model="Samsung SSD 970 EVO 500GB",
            wwid="eui.0025385b71b0d1e2",
            firmware="2B2QEXE7",
            rotational=False,
        ),
    )
    assert identity.serial == "S4EWNX0N123456"
    assert identity.wwn == "eui.0025385b71b0d1e2"
    assert identity.firmware == "2B2QEXE7"
    assert identity.bus is Bus.NVME
    assert identity.media_kind is MediaKind.NVME
    assert identity.id_path == "sysfs-pci0000:00-0000:00:1d.0-0000:3d:00.0-nvme-nvme0"


@pytest.mark.parametrize(
    ("name", "path", "props", "extra", "bus", "media"),
    [
        (
            "sdb",
            USB_PATH,
            {"ID_BUS": "usb"},
            {"removable": True, "rotational": False},
            Bus.USB,
            MediaKind.USB_FLASH,
        ),
        # a hard disk in a USB dock is still a hard disk
        ("sdb", USB_PATH, {"ID_BUS": "usb"}, {"rotational": True}, Bus.USB, MediaKind.HDD),
        ("sda", SATA_PATH, {"ID_BUS": "ata"}, {"rotational": False}, Bus.ATA, MediaKind.SSD),
        ("vda", VIRTIO_PATH, {}, {}, Bus.VIRTIO, MediaKind.VIRTUAL),
        ("mmcblk0", MMC_PATH, {}, {"mmc_type": "SD"}, Bus.MMC, MediaKind.SD),
        ("mmcblk0", MMC_PATH, {}, {"mmc_type": "MMC"}, Bus.MMC, MediaKind.EMMC),
        ("loop3", "/sys/devices/virtual/block/loop3", {}, {}, Bus.LOOP, MediaKind.VIRTUAL),
        (
            "zram0",
            "/sys/devices/virtual/block/zram0",
            {},
            {"rotational": False},
            Bus.UNKNOWN,
            MediaKind.VIRTUAL,
        ),
        # QEMU's NVMe has ID_NSID but no ID_BUS (docs/testing.md)
        ("nvme1n1", NVME_PATH, {"ID_NSID": "1"}, {}, Bus.NVME, MediaKind.NVME),
        (
            "sdc",
            "/sys/devices/platform/host2/target2:0:0/2:0:0:0/block/sdc",
            {"ID_BUS": "scsi"},
            {"rotational": True},
            Bus.SCSI,
            MediaKind.HDD,
        ),
    ],
)
def test_bus_and_media_kind(
    name: str,
    path: str,
    props: dict[str, str],
    extra: dict[str, object],
    bus: Bus,
    media: MediaKind,
) -> None:
    identity = build_identity(f"/dev/{name}", raw(name, path, **extra), props)
    assert (identity.bus, identity.media_kind) == (bus, media)


def test_virtio_keeps_id_serial_and_drops_the_pci_vendor_id() -> None:
    identity = build_identity(
        "/dev/vda", raw("vda", VIRTIO_PATH, vendor="0x1af4"), {"ID_SERIAL": "station-virtio-1"}
    )
    assert identity.serial == "station-virtio-1"
    assert identity.vendor is None


def test_a_usb_bridge_serial_is_not_taken_for_the_drive_serial() -> None:
    # ID_SERIAL on USB is vendor_model_bridgeserial: only ID_SERIAL_SHORT names the drive.
    identity = build_identity(
        "/dev/sdb", raw("sdb", USB_PATH), {"ID_BUS": "usb", "ID_SERIAL": "JMicron_0000"}
    )
    assert identity.serial is None


def test_path_key_ignores_the_kernel_name() -> None:
    assert path_key(raw("sda", SATA_PATH)) == path_key(
        raw("sdq", SATA_PATH.replace("block/sda", "block/sdq"))
    )
    assert path_key(raw("loop3", "/sys/devices/virtual/block/loop3")) == "virtual-loop3"


def test_slots_follow_port_order_and_survive_replug() -> None:
    slots = SlotMap()
    ports = ["pci-0000:00:1f.2-ata-10", "pci-0000:00:1f.2-ata-2", "pci-0000:00:1f.2-ata-1"]
    assert slots.assign(ports) == {
        "pci-0000:00:1f.2-ata-1": 1,
        "pci-0000:00:1f.2-ata-2": 2,
        "pci-0000:00:1f.2-ata-10": 3,
    }
    # ata-2 unplugged, a new port appears: it gets a new number, ata-2 keeps its own
    assert slots.assign(["pci-0000:00:1f.2-ata-1", "usb-0:3:1.0-scsi-0:0:0:0"]) == {
        "pci-0000:00:1f.2-ata-1": 1,
        "usb-0:3:1.0-scsi-0:0:0:0": 4,
    }
    assert slots.slot_for("pci-0000:00:1f.2-ata-2") == 2
    assert slots.slot_for(None) is None


def test_a_bench_profile_fixes_slots() -> None:
    slots = SlotMap({"pci-0000:00:1f.2-ata-3": 1, "pci-0000:00:1f.2-ata-1": 2})
    assigned = slots.assign(["pci-0000:00:1f.2-ata-1", "pci-0000:00:1f.2-ata-3", "usb-1"])
    assert assigned == {"pci-0000:00:1f.2-ata-1": 2, "pci-0000:00:1f.2-ata-3": 1, "usb-1": 3}


def test_identity_is_frozen_and_serialises() -> None:
    identity = build_identity("/dev/sda", raw("sda", SATA_PATH), {"ID_SERIAL_SHORT": "X1"})
    with pytest.raises(ValueError):
        identity.serial = "other"  # type: ignore[misc]
    assert identity.with_slot(4).model_dump(mode="json")["slot"] == 4
