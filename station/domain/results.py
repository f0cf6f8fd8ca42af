"""The only four outcomes a sanitization can have (docs/sanitization.md, "Results")."""

from __future__ import annotations

from enum import StrEnum


class Result(StrEnum):
    PURGED = "purged"
    CLEARED = "cleared"
    CLEARED_WITH_WARNINGS = "cleared_with_warnings"
    FAILED = "failed"

    @property
    def ok(self) -> bool:
        """True when the media may be reused; warnings still need a human to read them."""
        return self is not Result.FAILED


def worst(*results: Result) -> Result:
    """The least favourable of several results, so a later good step never hides a bad one."""
    order = [Result.PURGED, Result.CLEARED, Result.CLEARED_WITH_WARNINGS, Result.FAILED]
    return max(results, key=order.index)
