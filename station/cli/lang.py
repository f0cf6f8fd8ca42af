"""The language of the command line's own messages: `--lang`, else $STATION_LANG, else
the locale ($LC_ALL, $LC_MESSAGES, $LANG: fr_FR.UTF-8 gives French), else English.

Messages are written as pairs, `tr("english", "français")`, beside the code that prints
them: the CLI has a few dozen lines, not worth a second gettext catalogue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGUAGES = ("fr", "en")
_current = {"lang": "en"}


def from_environment(env: Mapping[str, str] | None = None) -> str:
    """The language the environment asks for (first set variable wins, as in glibc)."""
    env = os.environ if env is None else env
    explicit = env.get("STATION_LANG", "")
    if explicit in LANGUAGES:
        return explicit
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def set_cli_language(lang: str | None) -> str:
    """Use `lang` when given (from --lang), else the environment's; returns it."""
    chosen = lang if lang in LANGUAGES else from_environment()
    _current["lang"] = chosen
    return chosen


def cli_language() -> str:
    return _current["lang"]


def tr(english: str, french: str) -> str:
    """The message in the command line's language."""
    return french if _current["lang"] == "fr" else english


def doc_lang(args: object) -> str:
    """The language of a document (certificate, daily log): --lang, else French, the
    language of the workshops these documents are filed in."""
    chosen = getattr(args, "lang", None)
    return chosen if chosen in LANGUAGES else "fr"


RESULT_FR = {
    "purged": "purgé",
    "cleared": "effacé",
    "cleared_with_warnings": "effacé avec réserves",
    "failed": "échec",
    "cancelled": "arrêté",
    "not established": "non établi",
}


def result_fr(result: str) -> str:
    return RESULT_FR.get(result, result)
