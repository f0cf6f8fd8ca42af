"""The reports page and its downloads: donor report of a lot, funder report of a period
(PDF and CSV), and a machine's fiche de reconditionnement."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from station.inventory import lots as lot_store
from station.inventory.context import Ctx
from station.inventory.destinations import destinations
from station.inventory.fiche import fiche_pdf
from station.inventory.i18n import _
from station.inventory.partner_figures import donor_figures, funder_figures
from station.inventory.partner_reports import (
    co2e_text,
    donor_csv,
    donor_pdf,
    funder_csv,
    funder_pdf,
)
from station.inventory.state import Workshop, lot_views
from station.inventory.web import Page, render
from station.reports.wording import parse_day
from station.reports.workshop import find_workshop

router = APIRouter(tags=["pages"])
Code = Annotated[str, Path(max_length=64)]
DateText = Annotated[str, Query(max_length=20)]
FORMATS = ("pdf", "csv")


def _download(content: bytes, name: str, media: str) -> Response:
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _period(start: str, end: str) -> tuple[date, date] | str:
    try:
        first, last = parse_day(start), parse_day(end)
    except ValueError:
        return _("Période : deux dates (jj/mm/aaaa).")
    return (first, last) if first <= last else _("Période : la première date est après la seconde.")


@router.get("/rapports", response_class=HTMLResponse, include_in_schema=False)
def reports_page(ctx: Ctx, person: Page, du: DateText = "", au: DateText = "") -> HTMLResponse:
    figures, error = None, ""
    if du or au:
        period = _period(du, au)
        if isinstance(period, str):
            error = period
        else:
            figures = funder_figures(Workshop.read(ctx.db), destinations(ctx.db), *period,
                                     ctx.settings.co2e, ctx.settings.co2e_missing)  # fmt: skip
    return render(
        "reports.html",
        person,
        422 if error else 200,
        lots=lot_views(ctx.db),
        du=du,
        au=au,
        error=error,
        figures=figures,
        co2e=co2e_text(figures) if figures else "",
    )


@router.get("/rapports/donateur/{code}.{fmt}", include_in_schema=False)
async def donor_report(
    request: Request, ctx: Ctx, person: Page, code: Code, fmt: Annotated[str, Path(max_length=8)]
) -> Response:
    lot = lot_store.get_lot(ctx.db, code)
    if lot is None or fmt not in FORMATS:
        return render(
            "not_found.html", person, 404, reason=_("Aucun lot %(code)s.") % {"code": code}
        )
    figures = donor_figures(Workshop.read(ctx.db), lot, destinations(ctx.db))
    if fmt == "csv":
        return _download(donor_csv(figures), f"donateur-{code}.csv", "text/csv; charset=utf-8")
    base = str(request.base_url).rstrip("/")
    pdf = await run_in_threadpool(donor_pdf, figures, find_workshop(), base)
    return _download(pdf, f"donateur-{code}.pdf", "application/pdf")


@router.get("/rapports/financeurs.{fmt}", include_in_schema=False)
async def funder_report(
    ctx: Ctx,
    person: Page,
    fmt: Annotated[str, Path(max_length=8)],
    du: DateText = "",
    au: DateText = "",
) -> Response:
    if fmt not in FORMATS:
        return render("not_found.html", person, 404, reason=_("Les rapports sont en PDF ou CSV."))
    period = _period(du, au)
    if isinstance(period, str):
        return render("refused.html", person, 422, reason=period)
    figures = funder_figures(Workshop.read(ctx.db), destinations(ctx.db), *period,
                             ctx.settings.co2e, ctx.settings.co2e_missing)  # fmt: skip
    name = f"financeurs-{period[0]:%Y%m%d}-{period[1]:%Y%m%d}"
    if fmt == "csv":
        return _download(funder_csv(figures), f"{name}.csv", "text/csv; charset=utf-8")
    pdf = await run_in_threadpool(funder_pdf, figures, find_workshop())
    return _download(pdf, f"{name}.pdf", "application/pdf")


@router.get("/machines/{ident:path}/fiche.pdf", include_in_schema=False)
async def fiche(ctx: Ctx, person: Page, ident: Annotated[str, Path(max_length=64)]) -> Response:
    state = Workshop.read(ctx.db)
    machine = state.machines.get(ident)
    lot = state.lot_of(ident, lot_store.list_lots(ctx.db))
    if machine is None and lot is None:
        return render(
            "not_found.html", person, 404, reason=_("Aucune machine %(ident)s.") % {"ident": ident}
        )
    pdf = await run_in_threadpool(fiche_pdf, ident, machine, lot, find_workshop())
    return _download(pdf, f"fiche-{ident}.pdf", "application/pdf")
