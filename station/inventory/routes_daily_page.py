"""GET /daily: the supervisor's daily log of every bench on one small server-rendered
HTML page (no JavaScript), with each bench's sign-off checked against its chain.

The log is built from the stored signed bodies by the same code as the bench's PDF and
CSV (station.reports.daily_log), so the three never disagree.
"""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from station.inventory import queries
from station.inventory.access import principal
from station.inventory.benches import list_benches
from station.inventory.context import Ctx
from station.inventory.database import Database
from station.inventory.i18n import _, language
from station.inventory.problems import Problem
from station.reports.daily_log import DailyLog, build_daily_log
from station.reports.daily_log_render import HEADER, line_cells, signoff_lines
from station.reports.wording import PARIS, day_text, parse_day

router = APIRouter(tags=["pages"])
# A sign-off is usually made that evening or the next morning; a week covers holidays.
SIGNOFF_WINDOW_DAYS = 8
_STYLE = """
body{font-family:DejaVu Sans,Verdana,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;width:100%}
th,td{border:1px solid #bbb;padding:.25em .4em;text-align:left;vertical-align:top}
th{background:#e8ecf1}.signoff{padding:.4em .6em;color:#fff;font-weight:bold}
.approved{background:#1a783c}.missing{background:#6e6e6e}.discrepancy{background:#aa1414}
.rejected{background:#be7800}.failed{color:#aa1414;font-weight:bold}
"""


def bench_log(db: Database, bench_id: str, day: date) -> DailyLog:
    records = queries.daily_log(db, bench_id, day, PARIS)
    signoffs = [
        record["body"]
        for offset in range(SIGNOFF_WINDOW_DAYS)
        for record in queries.daily_log(db, bench_id, day + timedelta(days=offset), PARIS)
        if record["kind"] == "supervisor_signoff"
    ]
    return build_daily_log(bench_id, day, [r["body"] for r in records], signoffs, None)


def _e(text: object) -> str:
    return html.escape(str(text))


def render_log(log: DailyLog, name: str) -> str:
    lang = "en" if language() == "en" else "fr"
    status = signoff_lines(log, lang)
    if log.discrepancies:
        kind = "discrepancy"
    elif log.signoff is None:
        kind = "missing"
    else:
        kind = log.signoff.decision
    heading = _("Poste %(bench)s") % {"bench": log.bench_id}
    parts = [
        f'<section id="bench-{_e(log.bench_id)}">',
        f"<h2>{_e(heading)} — {_e(name)}</h2>",
        f'<p class="signoff {kind}">{_e(status[0])}</p>',
    ]
    if log.discrepancies:
        items = "".join(f"<li>{_e(line)}</li>" for line in status[1:])
        parts.append(f'<ul class="discrepancies">{items}</ul>')
    if not log.lines:
        nothing = _("Aucun enregistrement ce jour.")
        parts.append(f"<p>{_e(nothing)}</p></section>")
        return "".join(parts)
    counts = _("%(lines)s ligne(s), %(records)s enregistrement(s), %(failures)s échec(s)")
    numbers = {"lines": len(log.lines), "records": log.record_count, "failures": log.failures}
    parts.append(f"<p>{_e(counts % numbers)}</p>")
    keep = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    head = "".join(f"<th>{_e(HEADER[lang][i])}</th>" for i in keep)
    rows = []
    for line in log.lines:
        cells = line_cells(log, line, lang)
        css = ' class="failed"' if line.result == "failed" or line.failures else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{_e(cells[i])}</td>" for i in keep) + "</tr>")
    parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    parts.append("</section>")
    return "".join(parts)


def render_page(day: date, sections: list[str], problem: str | None = None) -> str:
    title = _("Journal du jour — %(day)s") % {"day": day_text(day)}
    no_bench = _("Aucun poste enrôlé.")
    body = "".join(sections) or f"<p>{_e(no_bench)}</p>"
    label, show = _("Date (jj/mm/aaaa)"), _("Afficher")
    error = f'<p class="signoff discrepancy">{_e(problem)}</p>' if problem else ""
    return (
        f'<!doctype html><html lang="{language()}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>{error}{_language_links()}"
        f'<form method="get" action="/daily"><label>{_e(label)} '
        f'<input name="date" value="{_e(day_text(day))}"></label> '
        f"<button>{_e(show)}</button></form>"
        f"{body}</body></html>"
    )


def _language_links() -> str:
    """The « English / Français » switch of the other pages' header."""
    if language() == "en":
        return '<p id="languages"><strong>English</strong> / <a href="/langue/fr">Français</a></p>'
    return '<p id="languages"><a href="/langue/en">English</a> / <strong>Français</strong></p>'


def sign_in_needed(status: int, reason: str) -> HTMLResponse:
    """A short page with a link to the sign-in form (a browser's 401)."""
    heading, sign_in = _e(_("Connexion requise")), _e(_("Se connecter"))
    page = (
        f'<!doctype html><html lang="{language()}"><head><meta charset="utf-8">'
        f"<title>{heading}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{heading}</h1><p>{_e(reason)}</p>"
        f'<p><a href="/login?next=/daily">{sign_in}</a></p></body></html>'
    )
    return HTMLResponse(page, status_code=status)


@router.get("/daily", response_class=HTMLResponse, include_in_schema=False)
def daily_page(
    request: Request,
    ctx: Ctx,
    date_text: Annotated[str | None, Query(alias="date", max_length=20)] = None,
) -> HTMLResponse:
    """Signed-in users only; benches still waiting for approval are shown to admins only."""
    try:
        who = principal(ctx.db, request, ctx.settings.admin_token)
    except Problem as exc:
        return sign_in_needed(exc.status, _("Votre session a pris fin : reconnectez-vous."))
    if who is None or who.user is None:
        return sign_in_needed(401, _("Le journal du jour est réservé aux personnes de l'atelier."))
    today = datetime.now(PARIS).date()
    try:
        day = parse_day(date_text) if date_text else today
    except ValueError as exc:
        return HTMLResponse(
            render_page(today, [], _("Date invalide : %(why)s") % {"why": exc}), status_code=422
        )
    sections = [
        render_log(bench_log(ctx.db, bench.bench_id, day), bench.name)
        for bench in list_benches(ctx.db, pending=who.is_admin)
    ]
    return HTMLResponse(render_page(day, sections))
