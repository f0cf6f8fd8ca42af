"""Keep the TUI's gettext catalogue in step with the code (a developer tool; needs
Babel from the dev extra):

    python -m station.tui.catalogue update   # add new message ids to fr/…/station.po
    python -m station.tui.catalogue compile  # write station.mo from station.po

Compilation is reproducible (sorted, no dates in the .mo), so a test can rebuild the
.mo in memory and fail when the committed one is stale.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from station.tui.i18n import DOMAIN, LOCALE_DIR

PACKAGE_DIR = Path(__file__).resolve().parent


def po_path(lang: str = "fr") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def code_message_ids() -> set[str]:
    """Every literal `_("...")` in station/tui/."""
    from babel.messages.extract import extract_from_dir

    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords={"_": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def compiled(lang: str = "fr") -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update(lang: str = "fr") -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path(lang)
    if path.exists():
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang, domain=DOMAIN)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=lang, domain=DOMAIN, project="Station")
    wanted = code_message_ids()
    for wanted_id in wanted:
        if wanted_id not in catalog:
            catalog.add(wanted_id, "")
    for entry in list(catalog):
        if entry.id and entry.id not in wanted:
            catalog.delete(entry.id)
    with path.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, omit_header=False, width=0)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    print(f"{path}: {len(wanted)} messages, {len(untranslated)} untranslated")
    return 1 if untranslated else 0


def compile_mo(lang: str = "fr") -> int:
    po_path(lang).with_suffix(".mo").write_bytes(compiled(lang))
    return 0


def main(argv: list[str]) -> int:
    action = argv[0] if argv else ""
    if action == "update":
        return update()
    if action == "compile":
        return compile_mo()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
