"""gettext for the TUI: message ids are English, the French catalogue is the default.

`_()` reads the current language at call time, so a language switch only needs the
screens to re-render. In French, a message id missing from the catalogue is shown in
English AND remembered in `missing()`: the tests fail on any such string.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "station"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("fr", "en")


class _MissingRecorder(gettext.NullTranslations):
    def __init__(self) -> None:
        super().__init__()
        self.missing: set[str] = set()

    def gettext(self, message: str) -> str:
        self.missing.add(message)
        return message


_recorder = _MissingRecorder()
_current: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"


def set_language(lang: str) -> None:
    global _current, _lang
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    if lang == "en":
        _current = gettext.NullTranslations()
    else:
        catalogue = gettext.translation(DOMAIN, LOCALE_DIR, [lang])
        catalogue.add_fallback(_recorder)
        _current = catalogue
    _lang = lang


def language() -> str:
    return _lang


def _(message: str) -> str:
    return _current.gettext(message)


def plural(n: int, one: str, many: str) -> str:
    """`one` or `many` (both already translated, with {n}) by the language's rule:
    French says "0 terminé, 1 terminé, 2 terminés", English "1 done, 0 or 2 done"."""
    single = n <= 1 if _lang == "fr" else n == 1
    return (one if single else many).format(n=n)


def missing() -> set[str]:
    """Message ids asked for in French that the catalogue does not hold."""
    return set(_recorder.missing)


def reset_missing() -> None:
    _recorder.missing.clear()
