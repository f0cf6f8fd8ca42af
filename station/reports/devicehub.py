"""The machine's inventory as an eReuse Devicehub snapshot (the JSON Workbench posts).

Shape as Devicehub reads a snapshot whose `software` is not workbench-script
(devicehub-django, evidence/old_parse.py, checked at de950dc, July 2026):
`{type: "Snapshot", uuid, software, version, endTime, elapsed, device: {type,
manufacturer, model, serialNumber, sku, version, system_uuid, family, chassis},
components: [{type: Processor|RamModule|HardDrive|SolidStateDrive|Battery, ...}]}`.
Only what Station measured is filled in, and what it did not measure is left out rather
than sent as null. What Devicehub needs to tell machines apart and to read them right:

- its hardware id (utils/constants.py EREUSE24) is manufacturer + model + chassis +
  serial + MAC, and old_parse takes the MAC from `debug.lshw` (the first network node by
  bus address): Station sends its physical interfaces there, from /sys/class/net, in
  lshw's shape (`id: "network:N"`, `businfo`, `serial` = MAC), so two machines without
  an SMBIOS serial stay two devices;
- RAM sizes carry their unit (`"8192 MiB"`): a bare number is read as GB
  (evidence/models.py `_ram_size_to_gib`);
- no field is null: the DPP path concatenates ids as strings (`get_id_hw_dpp`);
- the disks' SMART verdict and erasure go with each drive, and the erasure evidence
  also in workbench-script's own place, a top-level `erase` list with one list of text
  lines per disk (workbench-script.py, `gen_erase`, at d5d932d, May 2026).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from station import __version__
from station.domain.certificate import certificate_facts, disk_key
from station.domain.host import HostFacts, NetworkInterface
from station.journal.store import StoredRecord
from station.reports.certificate import disk_sessions


@dataclass(frozen=True)
class DiskEvidence:
    """What a bench's signed records say about one disk of the machine."""

    key: str  # station.domain.certificate.disk_key of the disk
    smart_verdict: str | None
    power_on_hours: int | None
    erasure: str | None  # purged, cleared, cleared_with_warnings, failed, cancelled
    method: str | None  # e.g. "Purge (ata_secure_erase)", "Clear (overwrite)"
    ended_at: str | None
    record_id: str | None  # the session's last record: the certificate's anchor

    def erase_lines(self, serial: str | None) -> list[str]:
        """The erasure as workbench-script's `erase` entries: text lines, one disk."""
        return [
            f"station: disk {serial or self.key}: {self.erasure or 'not erased'}"
            + (f" by {self.method}" if self.method else "")
            + (f" at {self.ended_at}" if self.ended_at else ""),
            *([f"station: signed record {self.record_id}"] if self.record_id else []),
        ]


# SMBIOS chassis type → (Devicehub device type, Devicehub chassis).
_CHASSIS = {
    "notebook": ("Laptop", "Laptop"),
    "laptop": ("Laptop", "Laptop"),
    "portable": ("Laptop", "Laptop"),
    "sub notebook": ("Laptop", "Netbook"),
    "convertible": ("Laptop", "Convertible"),
    "detachable": ("Laptop", "Detachable"),
    "tablet": ("Laptop", "Tablet"),
    "desktop": ("Desktop", "Tower"),
    "tower": ("Desktop", "Tower"),
    "mini tower": ("Desktop", "Microtower"),
    "low profile desktop": ("Desktop", "Microtower"),
    "all in one": ("Desktop", "AllInOne"),
    "mini pc": ("Desktop", "Microtower"),
}


def disk_evidence(records: Sequence[StoredRecord]) -> list[DiskEvidence]:
    """Each disk's last session in a bench's journal, as the snapshot carries it."""
    found = []
    for key, runs in disk_sessions(list(records)).items():
        run = runs[-1]
        facts = certificate_facts([record.body() for record in run])
        smart = facts.get("smart_after") or facts.get("smart_before") or {}
        method = facts.get("method")
        technique = facts.get("technique")
        found.append(
            DiskEvidence(
                key=key,
                smart_verdict=smart.get("verdict"),
                power_on_hours=smart.get("power_on_hours"),
                erasure=facts.get("result"),
                method=f"{method} ({technique})" if method and technique else method,
                ended_at=facts.get("ended_at"),
                record_id=run[-1].record_id,
            )
        )
    return found


def without_nulls(value: Any) -> Any:
    """The same JSON with every null field left out (Devicehub's DPP path cannot take one)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value if item is not None]
    return value


def _lshw_network(interfaces: Sequence[NetworkInterface]) -> dict[str, Any]:
    """The interfaces in the part of lshw's JSON tree Devicehub reads the MAC from."""
    return {
        "id": "station",
        "description": "network interfaces from /sys/class/net, in lshw's shape",
        "children": [
            {
                "id": f"network:{index}",
                "class": "network",
                "logicalname": nic.name,
                "businfo": f"pci@{nic.bus}" if nic.bus else f"station@{nic.name}",
                "serial": nic.mac,
            }
            for index, nic in enumerate(interfaces)
        ],
    }


def _drive(disk: Any, evidence: DiskEvidence | None) -> dict[str, Any]:
    drive: dict[str, Any] = {
        "actions": [],
        "type": "HardDrive",
        "model": disk.model,
        "serialNumber": disk.serial,
        "size": disk.size_bytes // 10**6,
    }
    if evidence is not None:
        drive["smart"] = {"verdict": evidence.smart_verdict,
                          "power_on_hours": evidence.power_on_hours}  # fmt: skip
        drive["erasure"] = {"result": evidence.erasure, "method": evidence.method,
                            "ended_at": evidence.ended_at,
                            "record_id": evidence.record_id}  # fmt: skip
    return drive


def devicehub_snapshot(
    facts: HostFacts, ended_at: datetime, evidence: Sequence[DiskEvidence] = ()
) -> dict[str, Any]:
    """The snapshot of this machine; `evidence`: its disks' SMART and erasure, from the
    bench's signed records (station host --devicehub reads them from the journal)."""
    of_disk = {found.key: found for found in evidence}
    kind, chassis = _CHASSIS.get((facts.chassis or "").lower(), ("Desktop", None))
    host = facts.host
    components: list[dict[str, Any]] = [
        {
            "actions": [],
            "type": "Processor",
            "model": cpu.model,
            "manufacturer": cpu.manufacturer,
            "cores": cpu.cores,
            "threads": cpu.threads,
            "speed": round(cpu.max_speed_mhz / 1000, 2) if cpu.max_speed_mhz else None,
        }
        for cpu in facts.processors
    ]
    components += [
        {
            "actions": [],
            "type": "RamModule",
            "size": f"{ram.size_bytes // 2**20} MiB",
            "speed": ram.speed_mts,
            "manufacturer": ram.manufacturer,
            "model": ram.part_number,
            "interface": ram.kind,
            "format": ram.form_factor,
        }
        for ram in facts.ram_modules
    ]
    components += [
        _drive(disk, of_disk.get(disk_key(disk.model_dump()) or "")) for disk in facts.disks
    ]
    components += [
        {
            "actions": [],
            "type": "Battery",
            "model": battery.model,
            "manufacturer": battery.manufacturer,
            "serialNumber": battery.serial,
            "technology": battery.technology,
            "size": round(battery.design_wh * 1000) if battery.design_wh else None,  # mWh
            "health_percent": battery.health_percent,
            "cycle_count": battery.cycle_count,
        }
        for battery in facts.batteries
    ]
    erase = [
        of_disk[key].erase_lines(disk.serial)
        for disk in facts.disks
        if (key := disk_key(disk.model_dump()) or "") in of_disk
    ]
    snapshot = {
        "type": "Snapshot",
        "uuid": str(uuid.uuid4()),
        "software": "Station",
        "version": __version__,
        "endTime": ended_at.isoformat(),
        "elapsed": 0,
        "device": {
            "type": kind,
            "manufacturer": host.manufacturer,
            "model": host.product,
            "serialNumber": host.serial,
            "sku": facts.sku,
            "family": facts.family,
            "system_uuid": host.uuid,
            "chassis": chassis,
        },
        "components": components,
        "erase": erase,
        "debug": {"lshw": _lshw_network(facts.network)} if facts.network else None,
    }
    return dict(without_nulls(snapshot))
