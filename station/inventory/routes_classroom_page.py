"""GET /salle: the supervisor runs the classroom session from the back office.

Why here and not on the classroom server's own board: the supervisor's sign-in, the
forms' CSRF, the English catalogue, the benches' approval and the key pool are all the
inventory's, and the laptops' records come here. The classroom engine (files, status
board, udp-sender: station/classroom/control.py) runs inside this server when it is
started with `--classroom-root` (station-inventory serve); the page starts a session
(image, number of laptops, now or when N laptops are ready, with a wait limit), cancels
or closes it, approves or refuses each netbooted laptop, and shows the live table: the
laptop's approval, its deploy state from the board, and its licence step (kind of key and
the first digits of its sha256, never the key).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from station.classroom.board import LABELS_FR, LICENCE_FR
from station.classroom.control import PHASE_FR
from station.errors import UsageError
from station.inventory import classroom
from station.inventory.context import Ctx
from station.inventory.i18n import N_, _
from station.inventory.problems import Problem
from station.inventory.web import Person, Writer, read_form, refused, render

router = APIRouter(tags=["pages"])
BenchId = Annotated[str, Path(max_length=64)]
DEFAULT_WAIT_S = 600
# The classroom engine's words (station/classroom/), for the English catalogue.
_WORDS = (
    N_("aucune séance"), N_("en attente des portables"), N_("envoi de l'image en cours"),
    N_("terminée"), N_("annulée"), N_("échec"), N_("inscrit"), N_("réception"),
    N_("vérification"), N_("terminé"), N_("arrêté à la demande"), N_("clé du stock"),
    N_("clé du firmware"), N_("aucune"),
)  # fmt: skip


def _rows(ctx: Ctx, session: classroom.Session | None) -> list[dict[str, Any]]:
    """One row per laptop: its approval (netbooted laptops) and its board state."""
    board = ctx.classroom.view()["laptops"] if ctx.classroom is not None else []
    by_bench = {row["bench_id"]: row for row in board if row.get("bench_id")}
    rows: list[dict[str, Any]] = []
    for laptop in classroom.laptops(ctx.db, session.session_id) if session else []:
        said = by_bench.pop(laptop.bench_id, None)
        rows.append({"laptop": laptop, "board": said})
    shown = {id(r["board"]) for r in rows if r["board"]}
    rows += [{"laptop": None, "board": row} for row in board if id(row) not in shown
             and row.get("bench_id") not in {r["laptop"].bench_id for r in rows}]  # fmt: skip
    return rows


def _page(ctx: Ctx, person: Person, message: str = "", status: int = 200,
          *, error: bool = False) -> HTMLResponse:  # fmt: skip
    session = classroom.open_session_now(ctx.db)
    view = ctx.classroom.view() if ctx.classroom is not None else None
    return render(
        "classroom.html", person, status,
        engine=ctx.classroom, view=view, session=session, rows=_rows(ctx, session),
        images=ctx.classroom.images() if ctx.classroom is not None else [],
        running=ctx.classroom is not None and ctx.classroom.running,
        phase_words=PHASE_FR, state_words=LABELS_FR, licence_names=LICENCE_FR,
        default_wait=DEFAULT_WAIT_S, message=message, message_is_error=error,
    )  # fmt: skip


@router.get("/salle", response_class=HTMLResponse, include_in_schema=False)
def classroom_page(ctx: Ctx, person: Writer) -> Response:
    """The supervisor's page (admins and encadrants: it starts streams and approves keys)."""
    return _page(ctx, person)


def _whole(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise UsageError(f"{name} : un nombre entier") from exc


@router.post("/salle/seance", include_in_schema=False)
async def start(request: Request, ctx: Ctx, person: Writer) -> Response:
    form = await read_form(ctx, request, person)
    if ctx.classroom is None:
        return refused(person, _("Ce serveur ne fait pas salle de classe."), 409)
    mode = form.get("mode")
    if mode not in ("now", "ready"):
        return _page(ctx, person, _("Choisissez comment démarrer."), 422, error=True)
    try:
        laptops = _whole(form.get("laptops"), _("nombre de portables"))
        wait = _whole(form.get("wait") or str(DEFAULT_WAIT_S), _("attente"))
        ctx.classroom.start(form.get("image"), laptops, start_now=mode == "now",
                            join_wait_s=wait)  # fmt: skip
    except UsageError as exc:
        return _page(ctx, person, _("Séance non démarrée : ") + str(exc), 422, error=True)
    classroom.open_session(ctx.db, form.get("image"), laptops, mode, person.user.username)
    return _page(ctx, person, _("Séance démarrée."))


@router.post("/salle/seance/fin", include_in_schema=False)
async def end(request: Request, ctx: Ctx, person: Writer) -> Response:
    """Cancel the stream if it runs, and close the session: the laptops' approvals end."""
    await read_form(ctx, request, person)
    cancelled = ctx.classroom is not None and ctx.classroom.cancel()
    expired = classroom.close_session(ctx.db, person.user.username)
    said = _("Séance annulée.") if cancelled else _("Séance close.")
    return _page(ctx, person, said + " " + _("Approbations expirées : %(n)s.") % {"n": expired})


@router.post("/salle/portables/{bench_id}/decision", include_in_schema=False)
async def decide(request: Request, ctx: Ctx, person: Writer, bench_id: BenchId) -> Response:
    form = await read_form(ctx, request, person)
    decision = form.get("decision")
    if decision not in ("approve", "refuse"):
        return refused(person, _("Décision inconnue."), 422)
    try:
        laptop = classroom.decide(ctx.db, bench_id, decision == "approve", person.user.username)
    except Problem as exc:
        return _page(ctx, person, exc.detail, exc.status, error=True)
    done = _("Portable %(bench)s : %(status)s.")
    return _page(ctx, person, done % {"bench": laptop.bench_id,
                                      "status": _(laptop.status_words)})  # fmt: skip
