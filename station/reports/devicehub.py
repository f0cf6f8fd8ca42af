"""The machine's inventory as an eReuse Devicehub snapshot (the JSON Workbench posts).

Shape as Devicehub's own parser builds it (ereuse_devicehub parser, "snapshot_json"):
`{type: "Snapshot", uuid, software, version, endTime, elapsed, device: {type,
manufacturer, model, serialNumber, sku, version, system_uuid, family, chassis},
components: [{type: Processor|RamModule|HardDrive|SolidStateDrive|Battery, ...}]}`;
RAM sizes in MiB, disk sizes in MB. Only what Station measured is filled in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from station import __version__
from station.domain.host import HostFacts

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


def devicehub_snapshot(facts: HostFacts, ended_at: datetime) -> dict[str, Any]:
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
            "size": ram.size_bytes // 2**20,
            "speed": ram.speed_mts,
            "manufacturer": ram.manufacturer,
            "model": ram.part_number,
            "interface": ram.kind,
            "format": ram.form_factor,
        }
        for ram in facts.ram_modules
    ]
    components += [
        {
            "actions": [],
            "type": "HardDrive",
            "model": disk.model,
            "serialNumber": disk.serial,
            "size": disk.size_bytes // 10**6,
        }
        for disk in facts.disks
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
    return {
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
    }
