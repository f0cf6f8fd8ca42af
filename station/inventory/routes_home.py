"""GET /: the workshop's home page on the inventory server, in French (not a JSON 404).

Without a session it shows the sign-in form and the public certificate check (a number
printed on a certificate), nothing of the inventory; signed in, it is the back office's
dashboard: the lots and their progress.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from station.inventory.context import Ctx
from station.inventory.machines import all_machines
from station.inventory.state import lot_views
from station.inventory.web import PageRefusal, render, signed_in

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, ctx: Ctx) -> HTMLResponse:
    try:
        person = signed_in(ctx, request)
    except PageRefusal:
        return render("home.html", None, reason="", error="", next_path="/")
    return render(
        "home.html",
        person,
        lots=lot_views(ctx.db),
        machine_count=len(all_machines(ctx.db)),
    )
