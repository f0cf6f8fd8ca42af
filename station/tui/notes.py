"""The erase job's own notes are English sentences (they go in the reports as written);
the panel shows them in the bench's language (station.domain.notes). A note not known
there is still shown, under "technical notes", as written."""

from __future__ import annotations

from station.domain.notes import note_text
from station.tui.i18n import language


def translated(note: str) -> str | None:
    """The note in the bench's language, or None when it is not a known sentence."""
    found = note_text(note)
    return None if found is None else found.get(language())
