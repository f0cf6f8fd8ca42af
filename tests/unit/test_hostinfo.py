"""The machine's own inventory, parsed from recorded outputs of real machines
(tests/fixtures/host/PROVENANCE.md), mapped to a signed-record body and to Devicehub."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.devices.hostinfo import (
    collect_host_facts,
    host_from_dmi,
    msdm_key_sha256,
    parse_dmidecode,
    parse_power_supply_uevent,
)
from station.domain.host import inventory_record
from station.domain.record import parse_body
from station.reports.devicehub import devicehub_snapshot

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "host"
GIB = 1024**3


def dmi(name: str) -> str:
    return (FIXTURES / "dmidecode" / name).read_text()


def uevent(name: str) -> str:
    return (FIXTURES / "power_supply" / name).read_text()


@pytest.mark.parametrize(
    ("name", "manufacturer", "product", "chassis", "cpu", "ram_gib", "batteries"),
    [
        ("notebook-lenovo-thinkpad-t480.txt", "LENOVO", "ThinkPad T480 (20L50000IX)",
         "Notebook", "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", 16, 2),
        ("notebook-dell-latitude-5490.txt", "Dell Inc.", "Latitude 5490", "Notebook",
         "Intel(R) Core(TM) i5-7300U CPU @ 2.60GHz", 8, 0),
        ("notebook-hp-elitebook-840-g5.txt", "HP", "HP ELITEBOOK 840 G5 NOTEBOOK PC",
         "Notebook", "Intel(R) Core(TM) i5-8350U CPU @ 1.70GHz", 16, 1),
        ("desktop-dell-optiplex-7050.txt", "Dell Inc.", "OptiPlex 7050", "Desktop",
         "Intel(R) Core(TM) i5-7500 CPU @ 3.40GHz", 16, 0),
    ],
)  # fmt: skip
def test_dmidecode_of_real_machines(
    name: str, manufacturer: str, product: str, chassis: str, cpu: str, ram_gib: int,
    batteries: int,
) -> None:  # fmt: skip
    facts = host_from_dmi(parse_dmidecode(dmi(name)))
    assert facts.host.manufacturer == manufacturer
    assert facts.host.product == product
    assert facts.chassis == chassis
    assert [p.model for p in facts.processors] == [cpu]
    assert facts.ram_bytes == ram_gib * GIB
    assert len(facts.batteries) == batteries
    assert facts.is_laptop == (chassis == "Notebook")
    # The uploader masked serials and UUIDs as "--": a placeholder is not a serial.
    assert facts.host.serial is None and facts.host.uuid is None


def test_smbios_batteries_carry_design_capacity_only() -> None:
    facts = host_from_dmi(parse_dmidecode(dmi("notebook-lenovo-thinkpad-t480.txt")))
    front, rear = facts.batteries
    assert (front.name, front.manufacturer, front.design_wh) == ("Front", "SMP", 24.0)
    assert (rear.name, rear.manufacturer, rear.design_wh) == ("Rear", "SANYO", 72.15)
    assert front.health_percent is None  # SMBIOS has no measured full capacity


def test_battery_health_from_sysfs_energy() -> None:
    battery = parse_power_supply_uevent(uevent("BAT0-uevent-lenovo-l14m4p23-charging.txt"))
    assert battery is not None
    assert (battery.design_wh, battery.full_wh, battery.health_percent) == (60.0, 52.26, 87.1)
    assert battery.serial == "756"  # leading spaces of the firmware string dropped
    assert battery.cycle_count == 0


def test_old_kernel_uevent_without_type_or_capacity_line() -> None:
    battery = parse_power_supply_uevent(uevent("BAT0-uevent-asus-ux32vd-energy.txt"))
    assert battery is not None
    assert battery.health_percent == 97.7
    assert battery.serial is None  # empty SERIAL_NUMBER is not a serial


def test_charge_based_battery_and_mains_adapter() -> None:
    charge = "\n".join(
        [
            "POWER_SUPPLY_TYPE=Battery",
            "POWER_SUPPLY_CHARGE_FULL_DESIGN=4400000",
            "POWER_SUPPLY_CHARGE_FULL=3300000",
            "POWER_SUPPLY_VOLTAGE_MIN_DESIGN=11100000",
            "POWER_SUPPLY_CYCLE_COUNT=412",
        ]
    )
    battery = parse_power_supply_uevent(charge)
    assert battery is not None
    assert battery.health_percent == 75.0 and battery.cycle_count == 412
    assert battery.design_wh == 48.84
    assert parse_power_supply_uevent("POWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1") is None


def test_msdm_key_is_only_ever_a_digest() -> None:
    key = "ABCDE-FGHIJ-KLMNO-PQRST-UVWXY"
    table = b"MSDM" + bytes(52) + key.encode()
    digest = msdm_key_sha256(table)
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert msdm_key_sha256(b"MSDM" + bytes(10)) is None
    assert msdm_key_sha256(b"XXXX" + bytes(52) + key.encode()) is None


def test_host_record_and_devicehub_snapshot(tmp_path: Path) -> None:
    facts = host_from_dmi(parse_dmidecode(dmi("notebook-lenovo-thinkpad-t480.txt")))
    battery = parse_power_supply_uevent(uevent("BAT0-uevent-lenovo-l14m4p23-charging.txt"))
    assert battery is not None
    facts = facts.model_copy(update={"batteries": [battery], "msdm_sha256": "a" * 64})
    body = inventory_record(facts, "op-7", datetime(2026, 11, 22, 9, tzinfo=UTC))
    again = parse_body(body.model_dump(mode="json"))
    assert again.kind == "host_inventory"
    assert body.battery_health_percent == 87.1 and body.msdm_sha256 == "a" * 64
    snapshot = devicehub_snapshot(facts, datetime(2026, 11, 22, 9, tzinfo=UTC))
    assert snapshot["type"] == "Snapshot"
    assert snapshot["device"]["type"] == "Laptop" and snapshot["device"]["chassis"] == "Laptop"
    types = [component["type"] for component in snapshot["components"]]
    assert types.count("RamModule") == 2 and "Processor" in types and "Battery" in types
    ram = next(c for c in snapshot["components"] if c["type"] == "RamModule")
    assert ram["size"] == "8192 MiB"  # with its unit: a bare number reads as GB


def test_collect_on_this_machine_says_what_it_could_not_read(tmp_path: Path) -> None:
    """The real collector on a fake /sys: every gap becomes a note, nothing invented."""
    supply = tmp_path / "power_supply" / "BAT0"
    supply.mkdir(parents=True)
    (supply / "uevent").write_text(uevent("BAT0-uevent-lenovo-l14m4p23-charging.txt"))
    facts = collect_host_facts(
        power_supply=tmp_path / "power_supply",
        msdm=tmp_path / "no-msdm",
        sys_root=tmp_path / "sys",
    )
    assert [b.health_percent for b in facts.batteries] == [87.1]
    assert facts.msdm_sha256 is None
    if facts.host.manufacturer is None:
        assert any("SMBIOS" in note for note in facts.notes)
