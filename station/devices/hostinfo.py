"""The machine's own inventory: dmidecode (SMBIOS), /sys/class/power_supply (batteries),
the ACPI MSDM table (OEM licence: only its digest), /proc (fallbacks) and sysfs disks.

The parsers take text, so they are tested on recorded outputs of real machines
(tests/fixtures/host/); `collect_host_facts` runs the real tools.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station.devices import sysfs
from station.devices.runner import Runner, SubprocessRunner
from station.devices.safety import current_boot_medium
from station.domain.host import Battery, HostFacts, NetworkInterface, Processor, RamModule
from station.domain.record import DiskRef, HostRef, disk_ref_of
from station.errors import CommandError

# What vendors and hw-probe uploads put where there is no value.
PLACEHOLDERS = {
    "", "--", "none", "not specified", "not provided", "not available", "not applicable",
    "to be filled by o.e.m.", "default string", "system serial number", "system product name",
    "0123456789", "unknown", "chassis serial number", "no asset tag", "n/a", "oem",
    "03000200-0400-0500-0006-000700080009", "00000000-0000-0000-0000-000000000000",
}  # fmt: skip
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
MSDM_TABLE = Path("/sys/firmware/acpi/tables/MSDM")
POWER_SUPPLY = Path("/sys/class/power_supply")


@dataclass
class DmiRecord:
    handle: str
    type: int
    name: str
    fields: dict[str, str] = field(default_factory=dict)


def clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in PLACEHOLDERS else value


def parse_dmidecode(text: str) -> list[DmiRecord]:
    """`dmidecode` text output as records (multi-line lists like Flags are skipped)."""
    records: list[DmiRecord] = []
    current: DmiRecord | None = None
    expect_name = False
    for line in text.splitlines():
        header = re.match(r"^Handle (0x[0-9A-Fa-f]+), DMI type (\d+)", line)
        if header:
            current = DmiRecord(header.group(1), int(header.group(2)), "")
            records.append(current)
            expect_name = True
            continue
        if current is None or not line.strip():
            continue
        if expect_name:
            current.name = line.strip()
            expect_name = False
            continue
        item = re.match(r"^\t([^\t:][^:]*):\s?(.*)$", line)
        if item and item.group(1) not in current.fields:
            current.fields[item.group(1).strip()] = item.group(2).strip()
    return records


def size_bytes(text: str | None) -> int | None:
    """'8 GB', '8192 MB' → bytes; None for 'No Module Installed' and the like."""
    found = re.match(r"^\s*(\d+)\s*([KMGT]?B)\s*$", text or "", re.IGNORECASE)
    return int(found.group(1)) * _UNITS[found.group(2).lower()] if found else None


def _int(text: str | None) -> int | None:
    found = re.match(r"^\s*(\d+)", text or "")
    return int(found.group(1)) if found else None


def host_from_dmi(records: list[DmiRecord]) -> HostFacts:
    def first(dmi_type: int) -> dict[str, str]:
        return next((r.fields for r in records if r.type == dmi_type), {})

    system, chassis, bios = first(1), first(3), first(0)
    manufacturer = clean(system.get("Manufacturer"))
    product = clean(system.get("Product Name"))
    version = clean(system.get("Version"))
    # Lenovo puts the machine-type code (20L50000IX) in Product Name and the name people
    # know (ThinkPad T480) in Version: show both.
    if manufacturer and manufacturer.upper() == "LENOVO" and version and product:
        product = f"{version} ({product})"
    modules = [_ram(r.fields) for r in records if r.type == 17]
    present = [m for m in modules if m is not None]
    return HostFacts(
        host=HostRef(
            manufacturer=manufacturer,
            product=product,
            serial=clean(system.get("Serial Number")) or clean(chassis.get("Serial Number")),
            uuid=clean(system.get("UUID")),
            asset_tag=clean(chassis.get("Asset Tag")),
        ),
        chassis=clean(chassis.get("Type")),
        family=clean(system.get("Family")),
        sku=clean(system.get("SKU Number")),
        bios=" ".join(v for v in (clean(bios.get("Version")), clean(bios.get("Release Date"))) if v)
        or None,
        processors=[p for p in (_cpu(r.fields) for r in records if r.type == 4) if p],
        ram_modules=present,
        ram_bytes=sum(m.size_bytes for m in present) or None,
        batteries=[_smbios_battery(r.fields, i) for i, r in enumerate(records) if r.type == 22],
    )


def _cpu(fields: dict[str, str]) -> Processor | None:
    model = clean(fields.get("Version")) or clean(fields.get("Family"))
    if model is None or fields.get("Status", "").startswith("Unpopulated"):
        return None
    return Processor(
        model=" ".join(model.split()),
        manufacturer=clean(fields.get("Manufacturer")),
        cores=_int(fields.get("Core Count")),
        threads=_int(fields.get("Thread Count")),
        max_speed_mhz=_int(fields.get("Max Speed")),
    )


def _ram(fields: dict[str, str]) -> RamModule | None:
    size = size_bytes(fields.get("Size"))
    if size is None:
        return None
    return RamModule(
        size_bytes=size,
        locator=clean(fields.get("Locator")),
        kind=clean(fields.get("Type")),
        form_factor=clean(fields.get("Form Factor")),
        speed_mts=_int(fields.get("Speed")),
        manufacturer=clean(fields.get("Manufacturer")),
        part_number=clean(fields.get("Part Number")),
    )


def _smbios_battery(fields: dict[str, str], index: int) -> Battery:
    design = _int(fields.get("Design Capacity"))
    return Battery(
        name=clean(fields.get("Location")) or f"battery {index}",
        source="smbios",
        manufacturer=clean(fields.get("Manufacturer")),
        model=clean(fields.get("Name")),
        serial=clean(fields.get("SBDS Serial Number")) or clean(fields.get("Serial Number")),
        technology=clean(fields.get("SBDS Chemistry")) or clean(fields.get("Chemistry")),
        design_wh=design / 1000 if design else None,
    )


def parse_power_supply_uevent(text: str) -> Battery | None:
    """A /sys/class/power_supply/*/uevent file; None when it is not a battery."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.removeprefix("POWER_SUPPLY_")] = value
    kind = values.get("TYPE")
    has_capacity = any(k in values for k in ("ENERGY_FULL_DESIGN", "CHARGE_FULL_DESIGN"))
    if kind not in (None, "Battery") or not has_capacity:
        return None
    # Energy in µWh, or charge in µAh; health is the ratio, the same in either unit.
    design = _int(values.get("ENERGY_FULL_DESIGN") or values.get("CHARGE_FULL_DESIGN"))
    full = _int(values.get("ENERGY_FULL") or values.get("CHARGE_FULL"))
    volts = _int(values.get("VOLTAGE_MIN_DESIGN"))
    to_wh = _energy_to_wh("ENERGY_FULL_DESIGN" in values, volts)
    return Battery(
        name=values.get("NAME") or "battery",
        source="sysfs",
        manufacturer=clean(values.get("MANUFACTURER")),
        model=clean(values.get("MODEL_NAME")),
        serial=clean(values.get("SERIAL_NUMBER")),
        technology=clean(values.get("TECHNOLOGY")),
        design_wh=to_wh(design),
        full_wh=to_wh(full),
        health_percent=round(full / design * 100, 1) if design and full is not None else None,
        cycle_count=_int(values.get("CYCLE_COUNT")),
    )


def _energy_to_wh(is_energy: bool, micro_volts: int | None) -> Callable[[int | None], float | None]:
    def convert(value: int | None) -> float | None:
        if value is None:
            return None
        if is_energy:
            return round(value / 1e6, 2)
        return round(value / 1e6 * micro_volts / 1e6, 2) if micro_volts else None

    return convert


def msdm_key_sha256(table: bytes) -> str | None:
    """sha256 of the product key an ACPI MSDM table carries (offset 56, 29 characters)."""
    if len(table) < 56 + 29 or table[:4] != b"MSDM":
        return None
    key = table[56 : 56 + 29].decode("ascii", errors="replace").strip("\x00 ")
    return hashlib.sha256(key.encode()).hexdigest() if key else None


def collect_host_facts(
    runner: Runner | None = None,
    *,
    power_supply: Path = POWER_SUPPLY,
    msdm: Path = MSDM_TABLE,
    sys_root: Path = sysfs.SYS,
) -> HostFacts:
    """This machine, from the real tools; what cannot be read is said in `notes`."""
    notes: list[str] = []
    runner = runner or SubprocessRunner()
    try:
        done = runner.run(["dmidecode"], timeout=30)
        if done.returncode != 0:
            raise CommandError(f"dmidecode exited {done.returncode}: {done.stderr.strip()}")
        facts = host_from_dmi(parse_dmidecode(done.stdout))
    except CommandError as exc:
        notes.append(f"no SMBIOS data: {exc.one_line()}")
        facts = HostFacts(host=HostRef())
    batteries = [
        battery
        for uevent in sorted(power_supply.glob("*/uevent"))
        if (battery := parse_power_supply_uevent(_read(uevent))) is not None
    ]
    try:
        msdm_digest = msdm_key_sha256(msdm.read_bytes()) if msdm.exists() else None
    except OSError as exc:
        notes.append(f"MSDM table unreadable: {exc.strerror}")
        msdm_digest = None
    update: dict[str, object] = {
        "batteries": batteries or facts.batteries,
        "msdm_sha256": msdm_digest,
        "disks": _disks(sys_root),
        "network": network_interfaces(sys_root),
        "notes": [*facts.notes, *notes],
    }
    if facts.ram_bytes is None:
        update["ram_bytes"] = _meminfo_bytes()
    if not facts.processors:
        cpu = _cpuinfo_model()
        update["processors"] = [Processor(model=cpu)] if cpu else []
    return facts.model_copy(update=update)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _disks(sys_root: Path) -> list[DiskRef]:
    """The machine's own disks: not virtual ones, and not Station's boot stick (plugged
    in for the session, it is no part of the machine, and its fiche would otherwise
    list it among the disks whose data removal is not established)."""
    skip = ("loop", "ram", "zram", "dm-", "md", "sr", "nbd")
    station_stick = current_boot_medium(sys_root=sys_root).boot_disks
    found = []
    for name in sysfs.whole_disks(sys_root):
        if name.startswith(skip) or name in station_stick:
            continue
        raw = sysfs.raw_facts(name, sys_root)
        found.append(disk_ref_of(raw))
    return found


def network_interfaces(sys_root: Path = sysfs.SYS) -> list[NetworkInterface]:
    """Physical interfaces from /sys/class/net: those with a `device` link (not lo, bridges
    or tunnels), with a real MAC (all zeros is none), in bus order as Devicehub sorts them."""
    found = []
    for entry in sorted((sys_root / "class" / "net").glob("*")):
        device = entry / "device"
        mac = _read(entry / "address").strip().lower()
        if not device.exists() or not mac or set(mac) <= {"0", ":"}:
            continue
        try:
            found.append(NetworkInterface(name=entry.name, mac=mac, bus=device.resolve().name))
        except ValueError:
            continue  # not an Ethernet-style address (InfiniBand, ...): not a hardware id
    return sorted(found, key=lambda nic: nic.bus or "")


def _meminfo_bytes() -> int | None:
    found = re.search(r"^MemTotal:\s+(\d+) kB", _read(Path("/proc/meminfo")), re.MULTILINE)
    return int(found.group(1)) * 1024 if found else None


def _cpuinfo_model() -> str | None:
    found = re.search(r"^model name\s*:\s*(.+)$", _read(Path("/proc/cpuinfo")), re.MULTILINE)
    return " ".join(found.group(1).split()) if found else None


def dmi_identity(sys_root: Path = sysfs.SYS) -> tuple[str | None, str | None]:
    """The machine's DMI serial number and UUID as the kernel publishes them (root reads
    them; "To Be Filled By O.E.M." and the like count as absent)."""
    dmi = sys_root / "class" / "dmi" / "id"
    serial = clean(sysfs.read_attr(dmi / "product_serial"))
    uuid = clean(sysfs.read_attr(dmi / "product_uuid"))
    return serial, None if uuid is None else uuid.lower()
