"""GET /postes: the benches, their recent days and sign-offs; approve and revoke (admins).

The same decisions as `station-inventory bench approve/revoke` and the admin API
(benches.decide), from a form with the session's CSRF token. A revocation asks for a
confirmation box: from then on the bench's records are refused.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from station.inventory import benches
from station.inventory.benches import Bench
from station.inventory.context import Ctx
from station.inventory.database import Database
from station.inventory.i18n import N_, _
from station.inventory.problems import Problem
from station.inventory.web import Page, Person, Writer, read_form, refused, render

router = APIRouter(tags=["pages"])
BenchId = Annotated[str, Path(max_length=64)]
RECENT_DAYS = 10
STATUS_WORDS = {"pending": N_("en attente"), "approved": N_("approuvé"), "revoked": N_("révoqué")}


@dataclass
class BenchRow:
    bench: Bench
    records: int = 0
    days: list[tuple[date, int, bool]] = field(default_factory=list)  # day, records, signed

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.bench.status, self.bench.status)


def bench_rows(db: Database, *, pending: bool) -> list[BenchRow]:
    """Each bench with its record count and its last days of work (UTC days), each with
    whether a supervisor's sign-off names that day."""
    with db.transaction() as tx:
        counts = tx.rows(
            "SELECT bench_id, substr(created_at, 1, 10), count(*) FROM records "
            "WHERE kind <> 'supervisor_signoff' GROUP BY bench_id, substr(created_at, 1, 10)"
        )
        signoffs = tx.rows("SELECT bench_id, body FROM records WHERE kind = 'supervisor_signoff'")
    signed: dict[str, set[str]] = defaultdict(set)
    for bench_id, body in signoffs:
        signed[str(bench_id)].add(str(json.loads(str(body)).get("day")))
    days: dict[str, list[tuple[date, int, bool]]] = defaultdict(list)
    for bench_id, day, count in counts:
        days[str(bench_id)].append((date.fromisoformat(str(day)), int(count),
                                    str(day) in signed[str(bench_id)]))  # fmt: skip
    rows = []
    for bench in benches.list_benches(db, pending=pending):
        worked = sorted(days.get(bench.bench_id, []), reverse=True)
        rows.append(BenchRow(bench, sum(n for _, n, _ in worked), worked[:RECENT_DAYS]))
    return rows


def _page(
    ctx: Ctx, person: Person, message: str = "", status: int = 200, *, error: bool = False
) -> HTMLResponse:
    is_admin = person.user.role == "admin"
    return render("benches.html", person, status, rows=bench_rows(ctx.db, pending=is_admin),
                  is_admin=is_admin, message=message, message_is_error=error)  # fmt: skip


@router.get("/postes", response_class=HTMLResponse, include_in_schema=False)
def benches_page(ctx: Ctx, person: Page) -> Response:
    return _page(ctx, person)


@router.post("/postes/{bench_id}/decision", include_in_schema=False)
async def decide(request: Request, ctx: Ctx, person: Writer, bench_id: BenchId) -> Response:
    """Approve or revoke (admins only, as the admin API)."""
    form = await read_form(ctx, request, person)
    if person.user.role != "admin":
        return refused(person, _("Approuver ou révoquer un poste est réservé aux admins."))
    decision = form.get("decision")
    if decision not in ("approved", "revoked"):
        return refused(person, _("Décision inconnue."), 422)
    if decision == "revoked" and form.get("confirm") != "oui":
        return _page(
            ctx, person, _("Cochez la case pour confirmer la révocation."), 422, error=True
        )
    try:
        bench = benches.decide(ctx.db, bench_id, decision)  # type: ignore[arg-type]
    except Problem as exc:
        return refused(person, exc.detail, exc.status)
    done = _("Poste %(bench)s : %(status)s.")
    return _page(
        ctx, person, done % {"bench": bench.bench_id, "status": _(STATUS_WORDS[bench.status])}
    )
