"""Keeping a gettext catalogue in step with its code (a developer tool; needs Babel from
the dev extra), shared by the TUI's French catalogue and the back office's English one.

`update` adds the code's new message ids to the .po and drops the ones gone; `compiled`
builds the .mo reproducibly (sorted, no dates), so a test can rebuild it in memory and
fail when the committed one is stale.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Catalogue:
    """One language's .po of one gettext domain, and how to find the code's message ids."""

    locale_dir: Path
    domain: str
    lang: str
    message_ids: Callable[[], set[str]]

    @property
    def po_path(self) -> Path:
        return self.locale_dir / self.lang / "LC_MESSAGES" / f"{self.domain}.po"

    def compiled(self) -> bytes:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with self.po_path.open("rb") as handle:
            catalog = read_po(handle, locale=self.lang, domain=self.domain)
        out = io.BytesIO()
        write_mo(out, catalog, use_fuzzy=False)
        return out.getvalue()

    def update(self) -> int:
        """Add new ids, drop stale ones; 1 while some id has no translation."""
        from babel.messages.catalog import Catalog
        from babel.messages.pofile import read_po, write_po

        path = self.po_path
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=self.lang, domain=self.domain)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=self.lang, domain=self.domain, project="Station")
        wanted = self.message_ids()
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

    def compile_mo(self) -> int:
        self.po_path.with_suffix(".mo").write_bytes(self.compiled())
        return 0

    def main(self, argv: list[str], usage: str | None) -> int:
        """`update` or `compile`, from the command line."""
        import sys

        action = argv[0] if argv else ""
        if action == "update":
            return self.update()
        if action == "compile":
            return self.compile_mo()
        print(usage, file=sys.stderr)
        return 2
