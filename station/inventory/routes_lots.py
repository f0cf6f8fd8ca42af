"""The lots pages: list and create lots, one lot's progress, machines and documents."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from station.inventory import lots as lot_store
from station.inventory.context import Ctx
from station.inventory.database import Database
from station.inventory.i18n import _
from station.inventory.problems import Problem
from station.inventory.state import Workshop, lot_views
from station.inventory.web import (
    Form,
    Page,
    PageRefusal,
    Person,
    Writer,
    read_form,
    refused,
    render,
)

router = APIRouter(tags=["pages"])
Code = Annotated[str, Path(max_length=64)]


def _lots_page(
    person: Person, db: Database, form: dict[str, str], errors: list[str]
) -> HTMLResponse:
    status = 422 if errors else 200
    return render("lots.html", person, status, lots=lot_views(db), form=form, errors=errors)


@router.get("/lots", response_class=HTMLResponse, include_in_schema=False)
def lots_page(ctx: Ctx, person: Page) -> Response:
    return _lots_page(person, ctx.db, {}, [])


@router.post("/lots", include_in_schema=False)
async def create_lot(request: Request, ctx: Ctx, person: Writer) -> Response:
    form = await read_form(ctx, request, person)
    entered = lot_store.LotInput(
        code=form.get("code"),
        donor=form.get("donor"),
        received_on=form.get("received_on"),
        expected_count=form.get("expected_count"),
        tag_prefix=form.get("tag_prefix"),
        tag_from=form.get("tag_from"),
        tag_to=form.get("tag_to"),
        notes=form.get("notes"),
    )
    lot = lot_store.parse_lot(entered, person.user.username)
    if lot is not None:
        try:
            lot_store.add_lot(ctx.db, lot)
        except Problem as exc:
            entered.errors.append(exc.detail)
    if lot is None or entered.errors:
        return _lots_page(person, ctx.db, form.fields, entered.errors)
    return RedirectResponse(f"/lots/{lot.code}", status_code=303)


def _lot_page(
    ctx: Ctx, person: Person, code: str, message: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    lot = lot_store.get_lot(ctx.db, code)
    if lot is None:
        return render(
            "not_found.html", person, 404, reason=_("Aucun lot %(code)s.") % {"code": code}
        )
    state = Workshop.read(ctx.db)
    view = state.view(lot)
    rows = [(ident, state.machines.get(ident), state.destinations.get(ident))
            for ident in view.progress.members]  # fmt: skip
    return render(
        "lot.html",
        person,
        status,
        lot=view,
        rows=rows,
        documents=lot_store.documents(ctx.db, code),
        message=message,
        error=error,
    )


@router.get("/lots/{code}", response_class=HTMLResponse, include_in_schema=False)
def lot_page(ctx: Ctx, person: Page, code: Code) -> Response:
    return _lot_page(ctx, person, code)


async def _lot_form(request: Request, ctx: Ctx, code: str, person: Person) -> Form:
    """A supervisor's form posted about an existing lot (a 403 or 404 page otherwise)."""
    form = await read_form(ctx, request, person)
    if lot_store.get_lot(ctx.db, code) is None:
        raise PageRefusal(
            render("not_found.html", person, 404, reason=_("Aucun lot %(code)s.") % {"code": code})
        )
    return form


@router.post("/lots/{code}/machines", include_in_schema=False)
async def attach(request: Request, ctx: Ctx, person: Writer, code: Code) -> Response:
    form = await _lot_form(request, ctx, code, person)
    tags = [tag for tag in re.split(r"[\s,;]+", form.get("asset_tags")) if tag]
    if not tags or len(tags) > 2000:
        return _lot_page(ctx, person, code, error=_("Tapez une ou plusieurs étiquettes "
                         "(une par ligne, 2000 au plus)."), status=422)  # fmt: skip
    bad = lot_store.attach_machines(ctx.db, code, tags, person.user.username)
    done = len(tags) - len(bad)
    error = _("Étiquettes refusées : %(tags)s") % {"tags": ", ".join(bad)} if bad else ""
    done_text = _("%(n)s machine(s) rattachée(s) au lot.") % {"n": done}
    return _lot_page(ctx, person, code, message=done_text, error=error)


@router.post("/lots/{code}/documents", include_in_schema=False)
async def upload(request: Request, ctx: Ctx, person: Writer, code: Code) -> Response:
    form = await _lot_form(request, ctx, code, person)
    sent = form.files.get("document")
    if sent is None:
        return _lot_page(ctx, person, code, error=_("Choisissez un fichier PDF."), status=422)
    try:
        lot_store.add_document(ctx.db, code, sent[0], sent[1], person.user.username)
    except Problem as exc:
        return _lot_page(ctx, person, code, error=exc.detail, status=exc.status)
    return _lot_page(ctx, person, code, message=_("Document %(name)s ajouté.") % {"name": sent[0]})


@router.get("/lots/{code}/documents/{sha256}", include_in_schema=False)
def document(
    ctx: Ctx, code: Code, sha256: Annotated[str, Path(pattern="^[0-9a-f]{64}$")], person: Page
) -> Response:
    found = lot_store.document_content(ctx.db, code, sha256)
    if found is None:
        return refused(person, _("Ce document n'existe pas."), 404)
    name, content = found
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "document.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
