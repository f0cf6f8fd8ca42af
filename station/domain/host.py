"""The machine Station runs on, as its firmware and kernel describe it (pure data)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from station.domain.record import DiskRef, HostInventory, HostRef


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Battery(_Model):
    name: str
    source: str = Field(description="'sysfs' (measured) or 'smbios' (design only)")
    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    technology: str | None = None
    design_wh: float | None = None
    full_wh: float | None = None
    health_percent: float | None = Field(default=None, description="full / design capacity")
    cycle_count: int | None = None


class RamModule(_Model):
    size_bytes: int
    locator: str | None = None
    kind: str | None = None
    form_factor: str | None = None
    speed_mts: int | None = None
    manufacturer: str | None = None
    part_number: str | None = None


class Processor(_Model):
    model: str
    manufacturer: str | None = None
    cores: int | None = None
    threads: int | None = None
    max_speed_mhz: int | None = None


class NetworkInterface(_Model):
    """A physical network interface (one with a device behind it, not lo or a bridge)."""

    name: str
    mac: str = Field(pattern=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
    bus: str | None = Field(default=None, description="its device's bus address: 0000:00:1f.6")


class HostFacts(_Model):
    host: HostRef
    chassis: str | None = None
    family: str | None = None
    sku: str | None = None
    bios: str | None = None
    processors: list[Processor] = Field(default_factory=list)
    ram_modules: list[RamModule] = Field(default_factory=list)
    ram_bytes: int | None = None
    batteries: list[Battery] = Field(default_factory=list)
    msdm_sha256: str | None = None
    disks: list[DiskRef] = Field(default_factory=list)
    network: list[NetworkInterface] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @property
    def is_laptop(self) -> bool:
        return (self.chassis or "").lower() in LAPTOP_CHASSIS


LAPTOP_CHASSIS = {
    "notebook", "laptop", "portable", "sub notebook", "convertible", "detachable", "tablet",
    "hand held",
}  # fmt: skip


def inventory_record(facts: HostFacts, operator: str, created_at: datetime) -> HostInventory:
    """The signed-record body that ties this machine to the disks found in it."""
    measured = [b for b in facts.batteries if b.health_percent is not None]
    worst = min(measured, key=lambda b: b.health_percent or 0.0) if measured else None
    cpu = ", ".join(p.model for p in facts.processors) or None
    return HostInventory(
        created_at=created_at,
        operator=operator,
        host=facts.host,
        cpu=cpu,
        ram_bytes=facts.ram_bytes,
        disks=facts.disks,
        battery_health_percent=worst.health_percent if worst else None,
        battery_cycle_count=worst.cycle_count if worst else None,
        chassis=facts.chassis,
        msdm_sha256=facts.msdm_sha256,
        notes=facts.notes,
    )
