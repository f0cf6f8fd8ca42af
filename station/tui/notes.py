"""The erase job's own notes are English sentences (they go in the signed records as
written); the panel shows them in the bench's language. A note not known here is
still shown, under "technical notes", as written."""

from __future__ import annotations

import re
from collections.abc import Callable

from station.tui.i18n import _

Wording = Callable[[re.Match[str]], str]

KNOWN: list[tuple[str, Wording]] = [
    (
        r"cancelled by the operator before the end",
        lambda m: _("Stopped by the operator before the end."),
    ),
    (r"the disk disappeared during the job", lambda m: _("The disk went away during the work.")),
    (
        r"more than (\d+) sectors failed",
        lambda m: _("More than {n} sectors could not be written.").format(n=m[1]),
    ),
    (
        r"only (\d+) of (\d+) passes completed",
        lambda m: _("Only {done} of {total} passes were finished.").format(done=m[1], total=m[2]),
    ),
    (r"verification did not complete", lambda m: _("The check was not finished.")),
    (
        r"(\d+) bytes did not read back as written",
        lambda m: _("{n} bytes did not read back as written.").format(n=m[1]),
    ),
    (
        r"(\d+) bad sectors, more than the (\d+) allowed",
        lambda m: _("{n} bad sectors: more than the {limit} allowed.").format(n=m[1], limit=m[2]),
    ),
    (
        r"(\d+) sectors could not be written or read back; their ranges are listed",
        lambda m: _("{n} sectors could not be written or read back.").format(n=m[1]),
    ),
    (
        r"every pass completed and the read-back matched",
        lambda m: _("Every pass was finished and the check matched."),
    ),
    (
        r"Purge not possible: (.*); Clear instead",
        lambda m: _("No purge possible, so the disk was overwritten instead ({why}).").format(
            why=m[1]
        ),
    ),
    (r"purged: (.*)", lambda m: _("Purged by the drive: {how}.").format(how=m[1])),
]


def translated(note: str) -> str | None:
    """The note in the bench's language, or None when it is not a known sentence."""
    for pattern, wording in KNOWN:
        found = re.fullmatch(pattern, note.strip())
        if found:
            return wording(found)
    return None
