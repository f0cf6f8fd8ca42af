"""The one clock of the records: timezone-aware UTC, so every timestamp Station writes
(records, reports, the inventory's tables) compares and sorts the same way."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)


def utc_now_text() -> str:
    """Now as ISO 8601 text to the second (the inventory's SQL columns)."""
    return utc_now().isoformat(timespec="seconds")
