"""The figures of the partners' reports, computed once from the records and destinations.

The donor report (one lot) and the funder report (a period) are drawn from these, as
PDF and CSV alike, so the two formats and the pages never disagree. A machine counts by
its *last* destination (a later one corrects an earlier one). Nothing is estimated: the
CO2e line exists only when a factor is configured with its source and date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from station.inventory.destinations import KINDS, Destination
from station.inventory.lot_progress import Progress, lot_members, lot_progress
from station.inventory.lots import Lot
from station.inventory.machines import Machine
from station.inventory.settings import Co2Factor
from station.inventory.state import Workshop
from station.reports.wording import PARIS

RECYCLING = "recyclage"


@dataclass(frozen=True)
class Certificate:
    number: str  # the 16 hex digits printed on the certificate
    path: str  # its public verification page
    erased: bool  # False: the certificate states a failed or stopped erasure


@dataclass
class MachineLine:
    ident: str
    make_model: str
    serial: str
    disks: str
    erased: bool
    ready: bool
    certificates: list[Certificate]
    destination: Destination | None

    @property
    def destination_text(self) -> str:
        found = self.destination
        if found is None:
            return "en stock"
        if found.kind == "famille":  # the family itself is never named, not even here
            return f"{found.kind_label}, orientée par {found.referrer}"
        return f"{found.kind_label} : {found.organisation}"


def last_destinations(destinations: list[Destination]) -> dict[str, Destination]:
    return {found.machine: found for found in destinations}


def _line(ident: str, machine: Machine | None, destination: Destination | None) -> MachineLine:
    if machine is None:
        return MachineLine(ident, "", "", "pas encore vue par un poste", False, False, [],
                           destination)  # fmt: skip
    disks = "; ".join(
        f"{disk.serial or disk.model or '?'} : {disk.erasure_words}"
        for disk in machine.disks.values()
    )
    certificates = [
        Certificate(
            ref.record_id[:16], f"/verification/{ref.record_id}?poste={ref.bench_id}", disk.erased
        )
        for disk in machine.disks.values()
        if (ref := disk.certificate_record) is not None
    ]
    make_model = " ".join(part for part in (machine.manufacturer, machine.product) if part)
    return MachineLine(ident, make_model, machine.serial or "", disks or "aucun disque relevé",
                       machine.erased, machine.ready, certificates, destination)  # fmt: skip


@dataclass
class DonorFigures:
    lot: Lot
    progress: Progress
    lines: list[MachineLine]
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def certificates(self) -> int:
        return sum(len(line.certificates) for line in self.lines)

    @property
    def failure_certificates(self) -> int:
        return sum(not c.erased for line in self.lines for c in line.certificates)

    @property
    def reused(self) -> int:
        return self.progress.given

    @property
    def in_stock(self) -> int:
        return sum(line.destination is None for line in self.lines)


def donor_figures(state: Workshop, lot: Lot, destinations: list[Destination]) -> DonorFigures:
    last = last_destinations(destinations)
    members = lot_members(lot, state.machines, state.attached)
    lines = [_line(ident, state.machines.get(ident), last.get(ident)) for ident in members]
    kinds = Counter(line.destination.kind for line in lines if line.destination)
    return DonorFigures(
        lot=lot,
        progress=lot_progress(lot, state.machines, state.attached, state.destinations),
        lines=lines,
        by_kind={KINDS[kind]: kinds[kind] for kind in KINDS if kinds[kind]},
    )


@dataclass
class FunderFigures:
    start: date
    end: date
    reconditioned: int
    reused_by_kind: dict[str, int]
    recycled: int
    lines: list[MachineLine]
    factor: Co2Factor | None
    factor_missing: str

    @property
    def reused(self) -> int:
        return sum(self.reused_by_kind.values())

    @property
    def co2e_kg(self) -> float | None:
        return None if self.factor is None else self.reused * self.factor.kg_per_device


def _paris_day(stamp: str) -> date:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(PARIS).date()


def funder_figures(
    state: Workshop,
    destinations: list[Destination],
    start: date,
    end: date,
    factor: Co2Factor | None,
    factor_missing: str,
) -> FunderFigures:
    """Machines made ready (image deployed on erased disks) in [start, end], and machines
    given or recycled in it (by the date of their last destination)."""
    reconditioned = sum(
        1
        for machine in state.machines.values()
        if machine.ready
        and machine.image_record is not None
        and start <= _paris_day(machine.image_record.created_at) <= end
    )
    gone = [d for d in last_destinations(destinations).values() if start <= d.given_on <= end]
    reused = Counter(d.kind for d in gone if d.kind != RECYCLING)
    lines = [_line(d.machine, state.machines.get(d.machine), d) for d in gone]
    return FunderFigures(
        start=start,
        end=end,
        reconditioned=reconditioned,
        reused_by_kind={KINDS[kind]: reused[kind] for kind in KINDS if reused[kind]},
        recycled=sum(d.kind == RECYCLING for d in gone),
        lines=lines,
        factor=factor,
        factor_missing=factor_missing,
    )
