"""The back office's pages: Jinja2 templates, the signed-in person, forms and their CSRF.

Every page goes through `signed_in(...)`: without a session it answers 401 with the
sign-in form (a browser shows it, `curl` reads the status). Every form carries the
session's anti-forgery token (`csrf_token`, users.csrf_token) and every POST of a form is
checked with `read_form(...)`: a missing or wrong token, or an Origin header naming
another site, is a 403 page and nothing is changed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from station.inventory.access import principal
from station.inventory.context import Context, Ctx
from station.inventory.destinations import KINDS
from station.inventory.http_input import read_limited
from station.inventory.i18n import N_, _, language, ngettext
from station.inventory.problems import Problem
from station.inventory.users import COOKIE_NAME, User, csrf_token
from station.reports.workshop import find_workshop

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
FORM_LIMIT = 64 * 1024
UPLOAD_LIMIT = 8 * 1024 * 1024  # a donation agreement PDF, scanned
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Callables, not one Translations object: the language is the request's (i18n.language()).
_env.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)  # type: ignore[attr-defined]
WRITERS = ("admin", "encadrant")
# The roles as the header shows them (the stored codes are French words).
ROLE_WORDS = {"admin": N_("admin"), "encadrant": N_("encadrant"), "lecture": N_("lecture")}


@dataclass(frozen=True)
class Person:
    """The signed-in user of a page and the token their forms carry."""

    user: User
    csrf: str

    @property
    def may_write(self) -> bool:
        return self.user.role in WRITERS


@dataclass(frozen=True)
class Form:
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()


class PageRefusal(Exception):
    """A page cannot be shown: its ready answer (the sign-in form, a 403 page)."""

    def __init__(self, response: HTMLResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


def render(name: str, person: Person | None, status: int = 200, **values: Any) -> HTMLResponse:
    """A template of templates/ with the workshop, the person and their CSRF token."""
    text = _env.get_template(name).render(
        workshop=find_workshop(),
        person=person,
        user=person.user if person else None,
        lang=language(),
        role_words=ROLE_WORDS,
        **values,
    )
    return HTMLResponse(text, status_code=status)


def sign_in_page(request: Request, reason: str, status: int = 401) -> HTMLResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render("login.html", None, status=status, reason=reason, next_path=target, error="")


def signed_in(ctx: Context, request: Request, *, write: bool = False) -> Person:
    """The person signed in on this browser, or a PageRefusal (401 sign-in form, or 403
    when a `lecture` user asks for a page that changes something)."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    try:
        who = principal(ctx.db, request, ctx.settings.admin_token)
    except Problem as exc:
        raise PageRefusal(
            sign_in_page(request, _("Votre session a pris fin : reconnectez-vous."), exc.status)
        ) from exc
    if who is None or who.user is None or not cookie:
        raise PageRefusal(
            sign_in_page(request, _("Cette page est réservée aux personnes de l'atelier."))
        )
    token = csrf_token(ctx.db, cookie) or ""
    person = Person(who.user, token)
    if write and not person.may_write:
        raise PageRefusal(refused(person, _("Votre rôle (lecture) ne permet pas de modifier.")))
    return person


def _page_person(request: Request, ctx: Ctx) -> Person:
    return signed_in(ctx, request)


def _page_writer(request: Request, ctx: Ctx) -> Person:
    return signed_in(ctx, request, write=True)


# As dependencies, the sign-in is checked before the path and query are validated: a
# visitor without a session learns nothing, not even which parameters are wrong.
Page = Annotated[Person, Depends(_page_person)]
Writer = Annotated[Person, Depends(_page_writer)]


def refused(person: Person | None, reason: str, status: int = 403) -> HTMLResponse:
    return render("refused.html", person, status=status, reason=reason)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or (origin == "null" and request.url.scheme == "file"):
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def _parse_multipart(content_type: str, raw: bytes) -> Form:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    assert isinstance(message, EmailMessage)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if data:
                files[name] = (Path(filename).name[:200], data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return Form(fields, files)


async def read_form(ctx: Context, request: Request, person: Person) -> Form:
    """The posted form, once its CSRF token and origin are checked (PageRefusal 403)."""
    media = request.headers.get("content-type", "")
    limit = UPLOAD_LIMIT if media.lower().startswith("multipart/") else FORM_LIMIT
    try:
        raw = await read_limited(request, limit)
    except Problem as exc:
        raise PageRefusal(
            refused(person, _("Le fichier envoyé est trop gros (8 Mio au plus)."), 413)
        ) from exc
    if media.lower().startswith("multipart/form-data"):
        form = await run_in_threadpool(_parse_multipart, media, raw)
    else:
        parsed = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=50)
        form = Form({k: v[0] for k, v in parsed.items()}, {})
    sent = form.fields.get("csrf_token", "")
    if not _same_origin(request) or not sent or not hmac.compare_digest(sent, person.csrf):
        raise PageRefusal(
            refused(
                person,
                _(
                    "Formulaire refusé : il ne vient pas d'une page de ce serveur, ou la "
                    "page est trop ancienne. Rechargez la page et recommencez."
                ),
            )
        )
    return form


def check_form_origin(request: Request) -> bool:
    """For the sign-in form (no session yet): refuse a post made by another site."""
    return _same_origin(request)


def quoted(text: str) -> str:
    return quote(text, safe="")


_env.filters["url"] = quoted


def beneficiary(code: str) -> str:
    """A destination's kind of beneficiary in the page's language."""
    return _(KINDS.get(code, code))


_env.filters["beneficiary"] = beneficiary
