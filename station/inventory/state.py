"""What the back office's pages and reports compute from, read once per request: the
machines grouped from the records, the lots' hand attachments, the destinations."""

from __future__ import annotations

from dataclasses import dataclass

from station.inventory import lots as lot_store
from station.inventory.database import Database
from station.inventory.destinations import latest_kinds
from station.inventory.lot_progress import Progress, lot_members, lot_progress
from station.inventory.machines import Machine, all_machines


@dataclass
class LotView:
    """A lot with its progress, as the templates show it."""

    lot: lot_store.Lot
    progress: Progress

    def __getattr__(self, name: str) -> object:
        return getattr(self.lot, name)


@dataclass
class Workshop:
    """Everything the pages compute from: machines, hand attachments, destinations."""

    machines: dict[str, Machine]
    attached: dict[str, str]
    destinations: dict[str, str]

    @classmethod
    def read(cls, db: Database) -> Workshop:
        return cls(all_machines(db), lot_store.attached(db), latest_kinds(db))

    def view(self, lot: lot_store.Lot) -> LotView:
        return LotView(lot, lot_progress(lot, self.machines, self.attached, self.destinations))

    def lot_of(self, ident: str, lots: list[lot_store.Lot]) -> lot_store.Lot | None:
        for lot in lots:
            if ident in lot_members(lot, self.machines, self.attached):
                return lot
        return None


def lot_views(db: Database) -> list[LotView]:
    state = Workshop.read(db)
    return [state.view(lot) for lot in lot_store.list_lots(db)]
