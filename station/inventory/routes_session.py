"""Sign-in and sign-out of the workshop's people: a small French form, a signed cookie.

`POST /login` takes the form (application/x-www-form-urlencoded) or JSON
{"username", "password"}; on success it sets the session cookie (HttpOnly,
SameSite=Strict) and sends a browser on to `next` (a path of this server only).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from station.inventory.context import Ctx
from station.inventory.http_input import read_json, read_limited
from station.inventory.i18n import COOKIE as LANGUAGE_COOKIE
from station.inventory.i18n import LANGUAGES, _
from station.inventory.problems import Problem
from station.inventory.users import (
    COOKIE_NAME,
    SESSION_LIFETIME,
    check_password,
    end_session,
    start_session,
)
from station.inventory.web import PageRefusal, check_form_origin, read_form, render, signed_in

router = APIRouter(tags=["session"])
FORM_LIMIT = 4096


def _safe_next(target: str | None) -> str:
    """Only a path of this server: never another site (an open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _form_page(next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    return render(
        "login.html", None, status, reason="", error=error, next_path=_safe_next(next_path)
    )


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(next_path: Annotated[str, Query(alias="next", max_length=200)] = "") -> Response:
    return _form_page(next_path)


async def _credentials(request: Request) -> tuple[str, str, str, bool]:
    """(username, password, next, is_json) from a form or a JSON body."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        raw = await read_limited(request, FORM_LIMIT)
        fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)

        def first(name: str) -> str:
            return fields.get(name, [""])[0]

        return first("username"), first("password"), first("next"), False
    data = await read_json(request, FORM_LIMIT)
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), str) for k in ("username", "password")
    ):
        raise Problem(422, "bad_login", 'send {"username": "...", "password": "..."}')
    return data["username"], data["password"], "", True


@router.post("/login", include_in_schema=False)
async def login(request: Request, ctx: Ctx) -> Response:
    username, password, next_path, is_json = await _credentials(request)
    if not is_json and not check_form_origin(request):
        return _form_page(next_path, _("Formulaire refusé : il vient d'un autre site."), 403)
    user = await run_in_threadpool(check_password, ctx.db, username[:64], password[:1024])
    if user is None:
        if is_json:
            raise Problem(401, "bad_credentials", "unknown user or wrong password")
        return _form_page(next_path, _("Identifiant ou mot de passe incorrect."), 401)
    cookie = await run_in_threadpool(start_session, ctx.db, user)
    response: Response
    if is_json:
        response = JSONResponse({"username": user.username, "role": user.role})
    else:
        response = RedirectResponse(_safe_next(next_path), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, ctx: Ctx) -> Response:
    """Ends the session in the database too: the cookie is worth nothing afterwards.

    The form carries the session's CSRF token: another site cannot sign a user out."""
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        try:
            person = signed_in(ctx, request)
        except PageRefusal:
            person = None  # an ended session: nothing to end, just forget the cookie
        if person is not None:
            await read_form(ctx, request, person)
            await run_in_threadpool(end_session, ctx.db, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/langue/{lang}", include_in_schema=False)
def choose_language(request: Request, lang: str) -> Response:
    """The header's « English / Français » link: remember the choice in a cookie (a
    year) and go back to the page it was clicked on (a path of this server only)."""
    back = "/"
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc:
        back = _safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    response = RedirectResponse(back, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response
