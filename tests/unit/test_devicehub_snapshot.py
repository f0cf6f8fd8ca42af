"""The Devicehub snapshot read the way devicehub-django reads it (issue 18, "Exports").

devicehub-django is a Django application, so its parser is not imported here; the few
lines that decide how it reads a snapshot whose software is not workbench-script are
mirrored below, with where they come from (github.com/eReuse/devicehub-django at
de950dcf, July 2026): the hardware id EREUSE24 (utils/constants.py), the MAC from
`debug.lshw` (evidence/old_parse.py get_mac -> legacy_parse.get_mac ->
legacy_parse_details.get_lshw_child), RAM sizes (evidence/models.py _ram_size_to_gib)
and the DPP ids (evidence/mixin_parse.py get_id_hw_dpp)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station.devices.hostinfo import host_from_dmi, network_interfaces, parse_dmidecode
from station.domain.record import DiskRef
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import all_records
from station.reports.devicehub import devicehub_snapshot, disk_evidence

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "host"
WHEN = datetime(2026, 11, 22, 9, tzinfo=UTC)
EREUSE24 = ["manufacturer", "model", "chassis", "serial_number", "mac"]
EREUSE22 = ["manufacturer", "model", "chassis", "serial_number", "sku", "type", "version"]


def lshw_children(node: dict[str, Any], found: list[dict[str, Any]]) -> None:
    if node.get("id", "").split(":")[0] == "network":
        found.append(node)
    for child in node.get("children") or []:
        lshw_children(child, found)


def devicehub_hid(snapshot: dict[str, Any]) -> str:
    """old_parse.Build: the device's fields, the MAC from debug.lshw, then EREUSE24."""
    device = snapshot.get("device", {})
    fields = {"manufacturer": device.get("manufacturer", ""), "model": device.get("model", ""),
              "chassis": device.get("chassis", ""), "serial_number": device.get("serialNumber", ""),
              "mac": ""}  # fmt: skip
    lshw = snapshot.get("debug", {}).get("lshw")
    if lshw:
        nets: list[dict[str, Any]] = []
        lshw_children(lshw, nets)
        nets.sort(key=lambda node: node["businfo"])
        fields["mac"] = nets[0]["serial"] if nets else ""
    return "".join(fields[name] or "" for name in EREUSE24)


def ram_gib(size: object) -> float:
    match = re.match(r"\s*([\d.]+)\s*([a-zA-Z]+)?", str(size))
    assert match
    value, unit = float(match.group(1)), (match.group(2) or "gb").lower()
    return value / 1024 if unit in ("mib", "mb") else value


def dpp_id(component: dict[str, Any]) -> str:
    hid = ""
    for name in EREUSE22:
        hid += component.get(name, "")  # a null here is Devicehub's TypeError
    return hid


def fake_nic(sys_root: Path, name: str, mac: str, bus: str) -> None:
    """/sys/class/net/NAME as the kernel lays it out: address, and a device link."""
    device = sys_root / "devices" / "pci0000:00" / bus
    device.mkdir(parents=True)
    entry = sys_root / "class" / "net" / name
    entry.mkdir(parents=True)
    (entry / "address").write_text(mac + "\n")
    (entry / "device").symlink_to(device)


def t480(tmp_path: Path, mac: str) -> Any:
    """A ThinkPad T480 whose SMBIOS serial is masked ('--', so none), with one NIC."""
    sys_root = tmp_path / mac.replace(":", "")
    fake_nic(sys_root, "enp0s31f6", mac, "0000:00:1f.6")
    fake_nic(sys_root, "wlp3s0", "02:00:00:00:00:ff", "0000:03:00.0")
    (sys_root / "class" / "net" / "lo").mkdir()  # no device link: not hardware
    (sys_root / "class" / "net" / "lo" / "address").write_text("00:00:00:00:00:00\n")
    dmi = (FIXTURES / "dmidecode" / "notebook-lenovo-thinkpad-t480.txt").read_text()
    facts = host_from_dmi(parse_dmidecode(dmi))
    assert facts.host.serial is None
    return facts.model_copy(update={"network": network_interfaces(sys_root)})


def test_two_machines_without_a_serial_stay_two_devices(tmp_path: Path) -> None:
    one = devicehub_snapshot(t480(tmp_path, "02:00:00:00:00:01"), WHEN)
    two = devicehub_snapshot(t480(tmp_path, "02:00:00:00:00:02"), WHEN)
    assert devicehub_hid(one).endswith("02:00:00:00:00:01")  # the wired NIC, first by bus
    assert devicehub_hid(one) != devicehub_hid(two)
    without_mac = {**one, "debug": {}}
    assert devicehub_hid(without_mac) == devicehub_hid({**two, "debug": {}})  # the old bug


def test_ram_is_read_in_gib_and_no_field_is_null(tmp_path: Path) -> None:
    snapshot = devicehub_snapshot(t480(tmp_path, "02:00:00:00:00:01"), WHEN)
    rams = [c for c in snapshot["components"] if c["type"] == "RamModule"]
    assert [ram_gib(c["size"]) for c in rams] == [8.0, 8.0]  # 16 GiB, not "16384"

    def nulls(value: object, path: str = "") -> list[str]:
        if value is None:
            return [path]
        if isinstance(value, dict):
            return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}")]
        if isinstance(value, list):
            return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
        return []

    assert nulls(snapshot) == []
    for component in [snapshot["device"], *snapshot["components"]]:
        dpp_id(component)  # Devicehub's DPP path does not raise


def test_the_disks_smart_and_erasure_go_with_the_snapshot(tmp_path: Path) -> None:
    """From a bench journal holding the disk's session: SMART verdict and erasure on the
    drive, and workbench-script's `erase` list with one list of lines per disk."""
    disk = {"serial": "S3Z8NB0K123456", "model": "SAMSUNG MZ7LN256HAJQ",
            "size_bytes": 256_060_514_304}  # fmt: skip
    key = load_or_create_bench_key(tmp_path / "keys")
    with Journal(tmp_path / "journal.sqlite3", key) as journal:
        journal.append_many([
            sample_body("disk_seen", disk=disk), sample_body("smart_assessment", disk=disk),
            sample_body("purge_command", disk=disk),
            sample_body("verification", disk=disk, result="purged"),
        ])  # fmt: skip
        evidence = disk_evidence(all_records(journal))
        last = all_records(journal)[-1].record_id
    facts = t480(tmp_path, "02:00:00:00:00:01").model_copy(update={"disks": [DiskRef(**disk)]})
    snapshot = devicehub_snapshot(facts, WHEN, evidence)
    drive = next(c for c in snapshot["components"] if c["type"] == "HardDrive")
    assert drive["smart"] == {"verdict": "healthy", "power_on_hours": 21034}
    assert drive["erasure"]["result"] == "purged" and drive["erasure"]["record_id"] == last
    assert drive["erasure"]["method"] == "purge (ata_secure_erase)"
    assert snapshot["erase"] == [[
        f"station: disk S3Z8NB0K123456: purged by purge (ata_secure_erase) at "
        f"{drive['erasure']['ended_at']}", f"station: signed record {last}",
    ]]  # fmt: skip
    # A machine whose disks this bench never erased says nothing about erasure.
    bare = devicehub_snapshot(facts, WHEN)
    assert bare["erase"] == [] and "erasure" not in bare["components"][-1]
