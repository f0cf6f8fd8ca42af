"""Keep the back office's English catalogue in step with the pages (a developer tool;
needs Babel from the dev extra), as station.tui.catalogue does for the TUI:

    python -m station.inventory.catalogue update   # add new French ids to en/…/inventory.po
    python -m station.inventory.catalogue compile  # write inventory.mo from inventory.po

The ids are the French texts of the templates (`_("…")`) and of the Python modules
(`_("…")` and `N_("…")`). Compilation is reproducible, so a test rebuilds the .mo in
memory and fails when the committed one is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from station.gettext_catalogue import Catalogue
from station.inventory.i18n import DOMAIN, LOCALE_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES = "templates/**.html"


def code_message_ids() -> set[str]:
    """Every literal `_("...")` / `N_("...")` of station/inventory/ and its templates."""
    from babel.messages.extract import extract_from_dir

    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE_DIR),
        method_map=[("**.py", "python"), (TEMPLATES, "jinja2.ext:babel_extract")],
        options_map={TEMPLATES: {"extensions": "jinja2.ext.i18n", "trim_blocks": "True",
                                 "lstrip_blocks": "True"}},
        keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    ):  # fmt: skip
        for part in (message,) if isinstance(message, str) else message:
            if part:
                found.add(part)
    return found


ENGLISH = Catalogue(LOCALE_DIR, DOMAIN, "en", code_message_ids)


def po_path() -> Path:
    return ENGLISH.po_path


def compiled() -> bytes:
    return ENGLISH.compiled()


if __name__ == "__main__":
    sys.exit(ENGLISH.main(sys.argv[1:], __doc__))
