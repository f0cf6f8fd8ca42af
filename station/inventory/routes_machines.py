"""The machines pages: search, one machine's facts and records, recording its destination."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from station.domain.function_tests import TEST_NAMES, title
from station.inventory import lots as lot_store
from station.inventory.context import Ctx
from station.inventory.destinations import (
    KINDS,
    check_destination,
    destinations,
    record_destination,
)
from station.inventory.fiche import test_words
from station.inventory.i18n import _, language
from station.inventory.machines import ERASURE_WORDS, SMART_WORDS, Machine, RecordRef
from station.inventory.state import Workshop
from station.inventory.web import Page, Person, Writer, read_form, render
from station.reports.function_report import grade_line

router = APIRouter(tags=["pages"])
# `:path`, since asset tags may hold a "/" (« EPN/2024/17 »): the link sends it as %2F,
# which the server decodes before routing. The fiche route (routes_reports, included
# first) matches ".../fiche.pdf" before the machine page takes the whole rest.
Ident = Annotated[str, Path(max_length=64)]


@router.get("/machines", response_class=HTMLResponse, include_in_schema=False)
def machines_page(
    ctx: Ctx, person: Page, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    """Every machine, or those matching `q` (asset tag, serial, make, model, lot)."""
    state = Workshop.read(ctx.db)
    lots = lot_store.list_lots(ctx.db)
    found = []
    for ident, machine in sorted(state.machines.items()):
        lot = state.lot_of(ident, lots)
        if q and not (machine.matches(q) or (lot and q.casefold() in lot.code.casefold())):
            continue
        found.append((machine, lot, state.destinations.get(ident)))
    return render("machines.html", person, q=q, found=found, erasure_words=ERASURE_WORDS)


def _function_rows(machine: Machine | None) -> list[tuple[str, str, RecordRef | None]]:
    """(test, result, record) for each function the bench tests; empty when none was."""
    if machine is None or not machine.tests:
        return []
    lang = language()
    return [(title(name, lang), test_words(machine.tests.get(name), lang), machine.tests.get(name))
            for name in TEST_NAMES]  # fmt: skip


def _machine_page(
    ctx: Ctx, person: Person, ident: str, errors: list[str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:  # fmt: skip
    state = Workshop.read(ctx.db)
    machine = state.machines.get(ident)
    lot = state.lot_of(ident, lot_store.list_lots(ctx.db))
    if machine is None and lot is None:
        return render(
            "not_found.html", person, 404, reason=_("Aucune machine %(ident)s.") % {"ident": ident}
        )
    return render(
        "machine.html",
        person,
        422 if errors else 200,
        ident=ident,
        machine=machine,
        lot=lot,
        destinations=destinations(ctx.db, ident),
        kinds=KINDS,
        smart_words=SMART_WORDS,
        erasure_words=ERASURE_WORDS,
        function_rows=_function_rows(machine),
        grade_text=grade_line(dict(machine.grade_record.body), language())
        if machine and machine.grade_record
        else None,
        errors=errors or [],
        form=form or {},
    )


@router.get("/machines/{ident:path}", response_class=HTMLResponse, include_in_schema=False)
def machine_page(ctx: Ctx, person: Page, ident: Ident) -> Response:
    return _machine_page(ctx, person, ident)


@router.post("/machines/{ident:path}/destination", include_in_schema=False)
async def record(request: Request, ctx: Ctx, ident: Ident, person: Writer) -> Response:
    """A supervisor records where the machine went: a signed event (destinations.py)."""
    form = await read_form(ctx, request, person)
    body, errors = check_destination(form.fields)
    if errors:
        return _machine_page(ctx, person, ident, errors, form.fields)
    state = Workshop.read(ctx.db)
    if ident not in state.machines and state.lot_of(ident, lot_store.list_lots(ctx.db)) is None:
        return render(
            "not_found.html", person, 404, reason=_("Aucune machine %(ident)s.") % {"ident": ident}
        )
    record_destination(ctx.db, ident, body, person.user.username)
    return RedirectResponse(f"/machines/{quote(ident, safe='')}#destination", status_code=303)
