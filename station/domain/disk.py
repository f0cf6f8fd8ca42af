"""What a disk is, as far as Station cares: its identity, bus, media kind and bench slot.

A disk is identified by the drive's own serial/WWN, never by its /dev name (the kernel
may call the same drive sdb today and sdc tomorrow). The bench slot comes from udev's
ID_PATH (the physical port), so a port keeps its number whatever the /dev name is.

Everything here is pure: the devices layer gathers the raw facts (`RawDiskFacts`) from
sysfs and udev, and `build_identity` turns them into a `DiskIdentity`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Bus(StrEnum):
    ATA = "ata"
    NVME = "nvme"
    USB = "usb"
    MMC = "mmc"
    VIRTIO = "virtio"
    SCSI = "scsi"
    LOOP = "loop"
    FILE = "file"
    UNKNOWN = "unknown"


class MediaKind(StrEnum):
    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"
    USB_FLASH = "usb_flash"
    SD = "sd"
    EMMC = "emmc"
    VIRTUAL = "virtual"
    UNKNOWN = "unknown"


class DiskIdentity(BaseModel):
    """Who a disk is. `slot` is None when no bench slot is known (a file, a lone inspect)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    name: str
    serial: str | None = None
    wwn: str | None = None
    model: str | None = None
    vendor: str | None = None
    firmware: str | None = None
    size_bytes: int = Field(ge=0)
    logical_block_size: int = Field(default=512, gt=0)
    physical_block_size: int = Field(default=512, gt=0)
    bus: Bus = Bus.UNKNOWN
    rotational: bool | None = None
    removable: bool = False
    media_kind: MediaKind = MediaKind.UNKNOWN
    id_path: str | None = None
    slot: int | None = None

    def with_slot(self, slot: int | None) -> DiskIdentity:
        return self.model_copy(update={"slot": slot})


class RawDiskFacts(BaseModel):
    """Identity facts exactly as sysfs gave them (None where sysfs has nothing)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    size_bytes: int = Field(ge=0)
    logical_block_size: int = 512
    physical_block_size: int = 512
    read_only: bool = False
    removable: bool = False
    rotational: bool | None = None
    model: str | None = None
    vendor: str | None = None
    serial: str | None = None
    wwid: str | None = None

    @property
    def wwn(self) -> str | None:
        """The kernel's wwid under the name records use."""
        return self.wwid

    firmware: str | None = None
    device_path: str = ""  # resolved /sys/devices/... path, below sys_root
    mmc_type: str | None = None  # "SD" or "MMC" from device/type on mmc cards


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _udev_decode(value: str) -> str:
    """udev's *_ENC properties escape bytes as \\xNN (spaces as \\x20)."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)


def bus_from(props: Mapping[str, str], raw: RawDiskFacts) -> Bus:
    """The bus, from udev when it knows, else from the sysfs device path and name."""
    path = raw.device_path
    name = raw.name
    # A drive in a USB dock reports ata/scsi in some rules but it sits behind a bridge.
    if props.get("ID_BUS") == "usb" or "/usb" in path:
        return Bus.USB
    if name.startswith("nvme") or "ID_NSID" in props or "/nvme" in path:
        return Bus.NVME
    if name.startswith("mmcblk") or "/mmc_host/" in path:
        return Bus.MMC
    if name.startswith("loop"):
        return Bus.LOOP
    if "/virtio" in path and "/host" not in path:
        return Bus.VIRTIO
    if props.get("ID_BUS") == "ata" or "/ata" in path:
        return Bus.ATA
    if props.get("ID_BUS") == "scsi" or "/host" in path or name.startswith("sd"):
        return Bus.SCSI
    if name.startswith("vd"):
        return Bus.VIRTIO
    return Bus.UNKNOWN


# Kernel devices that live in RAM or on top of other disks (listed only with --all).
VIRTUAL_NAMES = ("zram", "ram", "dm-", "md", "nbd")


def media_kind_for(bus: Bus, raw: RawDiskFacts) -> MediaKind:
    if bus in (Bus.LOOP, Bus.FILE, Bus.VIRTIO) or raw.name.startswith(VIRTUAL_NAMES):
        return MediaKind.VIRTUAL
    if bus is Bus.NVME:
        return MediaKind.NVME
    if bus is Bus.MMC:
        return MediaKind.SD if (raw.mmc_type or "").upper() == "SD" else MediaKind.EMMC
    if bus is Bus.USB and raw.removable and raw.rotational is not True:
        return MediaKind.USB_FLASH
    if raw.rotational is True:
        return MediaKind.HDD
    if raw.rotational is False:
        return MediaKind.SSD
    return MediaKind.UNKNOWN


def path_key(raw: RawDiskFacts) -> str:
    """A stand-in for ID_PATH when udev is absent: the sysfs device chain, minus the
    block name, names the port as stably as the kernel allows."""
    chain = raw.device_path.split("/devices/", 1)[-1].strip("/")
    chain = re.sub(r"/block/[^/]+(/[^/]+)?$", "", chain).removesuffix("/" + raw.name)
    if chain.startswith("virtual"):
        return f"virtual-{raw.name}"
    return "sysfs-" + chain.replace("/", "-") if chain else f"sysfs-{raw.name}"


def build_identity(
    path: str, raw: RawDiskFacts, props: Mapping[str, str] | None = None
) -> DiskIdentity:
    """Identity from udev properties first (the drive's own serial and WWN), sysfs after."""
    props = props or {}
    bus = bus_from(props, raw)
    model = _udev_decode(props["ID_MODEL_ENC"]) if "ID_MODEL_ENC" in props else None
    model = (
        _clean(model) or _clean(raw.model) or _clean(props.get("ID_MODEL", "").replace("_", " "))
    )
    vendor = props.get("ID_VENDOR_ENC")
    # virtio publishes its PCI vendor id (0x1af4) there, which names no manufacturer.
    sysfs_vendor = None if (raw.vendor or "").startswith("0x") else raw.vendor
    vendor = _clean(_udev_decode(vendor) if vendor else None) or _clean(sysfs_vendor)
    serial = _clean(props.get("ID_SERIAL_SHORT")) or _clean(raw.serial)
    if serial is None and bus is not Bus.USB:
        # virtio and NVMe give only ID_SERIAL (model_serial); keep it rather than nothing.
        serial = _clean(props.get("ID_SERIAL"))
    return DiskIdentity(
        path=path,
        name=raw.name,
        serial=serial,
        wwn=_clean(props.get("ID_WWN_WITH_EXTENSION") or props.get("ID_WWN")) or _clean(raw.wwid),
        model=model,
        vendor=vendor,
        firmware=_clean(props.get("ID_REVISION")) or _clean(raw.firmware),
        size_bytes=raw.size_bytes,
        logical_block_size=raw.logical_block_size,
        physical_block_size=raw.physical_block_size,
        bus=bus,
        rotational=raw.rotational,
        removable=raw.removable,
        media_kind=media_kind_for(bus, raw),
        id_path=_clean(props.get("ID_PATH")) or path_key(raw),
    )


def _natural_key(text: str) -> list[object]:
    # pci-0000:00:1f.2-ata-10 sorts after ata-2, as a person reading the ports expects.
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text)]


class SlotMap:
    """Bench slots by ID_PATH: a bench profile may fix them; otherwise the ports seen
    first are numbered in port order and a port keeps its number for the whole session,
    even when its disk is removed and another one plugged in."""

    def __init__(self, fixed: Mapping[str, int] | None = None) -> None:
        self._fixed = dict(fixed or {})
        self._assigned: dict[str, int] = {}

    def assign(self, id_paths: Iterable[str]) -> dict[str, int]:
        """Give each ID_PATH its slot (new ones after every number already in use)."""
        for id_path in sorted(set(id_paths), key=_natural_key):
            if id_path in self._fixed or id_path in self._assigned:
                continue
            used = set(self._fixed.values()) | set(self._assigned.values())
            self._assigned[id_path] = max(used, default=0) + 1
        return {p: s for p in id_paths if (s := self.slot_for(p)) is not None}

    def slot_for(self, id_path: str | None) -> int | None:
        if id_path is None:
            return None
        return self._fixed.get(id_path, self._assigned.get(id_path))
