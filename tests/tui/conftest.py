"""Fixtures of the tui tier: the app built on Services with a fixed clock, a bench
profile for the test bench, a static disk source for snapshots, and the check that no
string shown in French is missing from the catalogue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from station.devices.safety import TargetInspection
from station.devices.udev import DiskEvent
from station.domain.bench_profile import BenchProfile, SimulatedDisk
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.eligibility import DiskFacts, Eligibility, Refusal, RefusalCode
from station.domain.supervisor_secret import hash_secret
from station.domain.text import LocalizedText
from station.tui import i18n
from station.wiring import Services

FIXED_NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 09:30 in Paris
SUPERVISOR_SECRET = "4821"
SUPERVISOR_HASH = hash_secret(SUPERVISOR_SECRET)  # as `station supervisor add` stores it


ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


def fixed_clock() -> datetime:
    return FIXED_NOW


def bench_profile_for(names: list[str] | None = None, **overrides: object) -> BenchProfile:
    """The bench of these tests; `names` are backing files of make_loop devices."""
    disks = [
        SimulatedDisk(backing_file=name, model=f"TEST Disk {i + 1}", serial=f"TST{i + 1:04d}X{i}Z9")
        for i, name in enumerate(names or [])
    ]
    return BenchProfile(
        name="test-bench",
        title=LocalizedText(fr="Banc de test", en="Test bench"),
        operators=["stagiaire-01", "stagiaire-02"],
        supervisors=["formateur-01"],
        supervisor_secrets={"formateur-01": SUPERVISOR_HASH},
        badge_prefix="BADGE-",
        wipe_profile="nist-clear",
        simulated_disks=disks,
        **overrides,
    )


class StaticDiskSource:
    """A fixed list of disks for snapshots (no device is ever opened)."""

    simulated = True

    def __init__(self, inspections: list[TargetInspection]) -> None:
        self.inspections = inspections
        self.busy: set[str] = set()

    def start(self, on_event: Callable[[DiskEvent], None]) -> list[TargetInspection]:
        return list(self.inspections)

    def stop(self) -> None:
        pass

    def inspect(self, path: str) -> TargetInspection:
        raise PermissionError("snapshot disks are pictures: nothing may be written to them")


def inspection(
    slot: int, model: str, serial: str, size: int, kind: MediaKind, refusal: Refusal | None = None
) -> TargetInspection:
    name = f"sd{chr(ord('a') + slot)}"
    identity = DiskIdentity(
        path=f"/dev/{name}",
        name=name,
        serial=serial,
        model=model,
        size_bytes=size,
        bus=Bus.ATA,
        media_kind=kind,
        slot=slot,
    )
    reasons = [refusal] if refusal else []
    return TargetInspection(
        identity=identity,
        eligibility=Eligibility(eligible=not reasons, reasons=reasons),
        facts=DiskFacts(name=name, size_bytes=size, read_only=bool(refusal)),
    )


def snapshot_disks() -> list[TargetInspection]:
    read_only = Refusal(
        code=RefusalCode.READ_ONLY,
        message=LocalizedText(
            fr="Disque en lecture seule : on ne peut pas écrire dessus.",
            en="Read-only disk: it cannot be written.",
        ),
    )
    return [
        inspection(1, "ST500LM021-1KJ152", "W62AB3C7", 500_107_862_016, MediaKind.HDD),
        inspection(2, "Samsung SSD 860 EVO", "S3Z9NB0K123456L", 250_059_350_016, MediaKind.SSD),
        inspection(3, "WDC WD3200BEVT", "WXE1A70Z5824", 320_072_933_376, MediaKind.HDD),
        inspection(
            4, "TOSHIBA MQ01ABD100", "X3NCT8Q4T", 1_000_204_886_016, MediaKind.HDD, read_only
        ),
    ]


@pytest.fixture
def snapshot_services(tmp_path: Path) -> Services:
    return Services(
        data_dir=tmp_path / "data",
        bench=bench_profile_for(),
        disk_source=StaticDiskSource(snapshot_disks()),
        clock=fixed_clock,
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_missing_french() -> Iterator[None]:
    """Every string the app asked for in French must be in the catalogue."""
    i18n.reset_missing()
    yield
    missing = i18n.missing()
    i18n.set_language("fr")
    assert not missing, f"shown in French but missing from the catalogue: {sorted(missing)}"


async def wait_for(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    """Let the app run until `done()`; a bound on the number of turns, not a time check."""
    for _ in range(1200):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


Step = Callable[[Pilot[None]], Awaitable[None]]
