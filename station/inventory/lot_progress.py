"""Where a lot's machines are: received, erased, imaged, ready, given, recycled.

`received` counts every machine of the lot (attached by hand, in its asset-tag range, or
recorded by a bench with the lot's code); the other counts are the machines whose signed
records (or recorded destination) say so. A machine is `ready` when all its disks are
erased and its image deployed; `given` and `recycled` come from its destination.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from station.inventory.i18n import N_
from station.inventory.lots import Lot
from station.inventory.machines import Machine

STAGES: tuple[tuple[str, str], ...] = (
    ("received", N_("reçues")),
    ("erased", N_("effacées")),
    ("imaged", N_("image installée")),
    ("ready", N_("prêtes")),
    ("given", N_("données")),
    ("recycled", N_("recyclées")),
)


@dataclass
class Progress:
    received: int = 0
    erased: int = 0
    imaged: int = 0
    ready: int = 0
    given: int = 0
    recycled: int = 0
    expected: int | None = None
    members: list[str] = field(default_factory=list)
    # Each machine once, at the furthest stage it reached: the bar's segments.
    furthest: dict[str, int] = field(default_factory=dict)

    def percent(self, stage: str) -> float:
        """Share of the expected count (or of the received machines) at `stage`."""
        whole = self.expected or self.received
        return 0.0 if not whole else min(100.0, 100.0 * getattr(self, stage) / whole)

    def stages(self) -> list[tuple[str, str, int, float]]:
        return [(key, label, getattr(self, key), self.percent(key)) for key, label in STAGES]

    def segments(self) -> list[tuple[str, str, int, float]]:
        """The bar: each machine once, at its furthest stage, as a share of the whole."""
        whole = max(self.expected or 0, self.received)
        return [
            (key, label, self.furthest.get(key, 0),
             0.0 if not whole else 100.0 * self.furthest.get(key, 0) / whole)
            for key, label in STAGES
        ]  # fmt: skip


def lot_members(lot: Lot, machines: dict[str, Machine], attached: dict[str, str]) -> list[str]:
    """Identifiers of the lot's machines, in a stable order."""
    found = {ident for ident, code in attached.items() if code == lot.code}
    for ident, machine in machines.items():
        if attached.get(ident, lot.code) != lot.code:
            continue  # attached by hand to another lot: that wins
        if lot.code in machine.lots or lot.holds(machine.asset_tag or ident):
            found.add(ident)
    return sorted(found)


def lot_progress(
    lot: Lot,
    machines: dict[str, Machine],
    attached: dict[str, str],
    destinations: dict[str, str],
) -> Progress:
    """The counts of one lot; `destinations` maps an identifier to its beneficiary kind."""
    members = lot_members(lot, machines, attached)
    progress = Progress(expected=lot.expected_count, members=members)
    for ident in members:
        progress.received += 1
        machine = machines.get(ident)
        reached = ["received"]
        if machine is not None:
            progress.erased += machine.erased
            progress.imaged += machine.imaged
            progress.ready += machine.ready
            reached += [key for key in ("erased", "imaged", "ready") if getattr(machine, key)]
        kind = destinations.get(ident)
        if kind == "recyclage":
            progress.recycled += 1
            reached.append("recycled")
        elif kind is not None:
            progress.given += 1
            reached.append("given")
        progress.furthest[reached[-1]] = progress.furthest.get(reached[-1], 0) + 1
    return progress
