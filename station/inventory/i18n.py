"""The back office's languages: French first (the pages are written in French), English
from a gettext catalogue (locale/en/LC_MESSAGES/inventory.po, compiled to .mo).

The language of one request is, in order: the `station_lang` cookie the header's
« English / Français » link sets, the browser's Accept-Language, French. `LanguageMiddleware`
puts it in a context variable for the whole request, so `_()` in a route, a template or a
report reads it at call time; outside a request (the CLI, the tests) it is French.

Message ids are the French texts themselves: a French page is byte for byte the text of the
templates, and an id missing from the English catalogue shows in French (the catalogue test
fails on any such id).
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

DOMAIN = "inventory"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT = "fr"
COOKIE = "station_lang"
_current: ContextVar[str] = ContextVar("inventory_language", default=DEFAULT)


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, [lang])


def language() -> str:
    """The language of the page being made ("fr" or "en")."""
    return _current.get()


def _(message: str) -> str:
    """`message` (French) in the language of the page being made."""
    return _translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations(_current.get()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a French text for the catalogue, translated later where it is shown."""
    return message


def from_accept_language(header: str) -> str | None:
    """The first of our languages the browser prefers (by q-value), or None."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, index, primary))
    return min(choices)[2] if choices else None


def choose(cookie_header: str, accept_language: str) -> str:
    """The person's choice (cookie), else the browser's, else French."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except Exception:  # a malformed Cookie header: as if there were none
        jar = SimpleCookie()
    chosen = jar.get(COOKIE)
    if chosen is not None and chosen.value in LANGUAGES:
        return chosen.value
    return from_accept_language(accept_language) or DEFAULT


class LanguageMiddleware:
    """Sets the request's language for everything that runs to answer it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = _current.set(choose(headers.get("cookie", ""), headers.get("accept-language", "")))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
