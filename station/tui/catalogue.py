"""Keep the TUI's gettext catalogue in step with the code (a developer tool; needs
Babel from the dev extra):

    python -m station.tui.catalogue update   # add new message ids to fr/…/station.po
    python -m station.tui.catalogue compile  # write station.mo from station.po

Compilation is reproducible (sorted, no dates in the .mo), so a test can rebuild the
.mo in memory and fail when the committed one is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from station.gettext_catalogue import Catalogue
from station.tui.i18n import DOMAIN, LOCALE_DIR

PACKAGE_DIR = Path(__file__).resolve().parent


def code_message_ids() -> set[str]:
    """Every literal `_("...")` in station/tui/."""
    from babel.messages.extract import extract_from_dir

    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords={"_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(lang: str) -> Catalogue:
    return Catalogue(LOCALE_DIR, DOMAIN, lang, code_message_ids)


def po_path(lang: str = "fr") -> Path:
    return _catalogue(lang).po_path


def compiled(lang: str = "fr") -> bytes:
    return _catalogue(lang).compiled()


if __name__ == "__main__":
    sys.exit(_catalogue("fr").main(sys.argv[1:], __doc__))
