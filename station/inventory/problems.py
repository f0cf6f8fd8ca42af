"""A refusal the server explains: HTTP status, a stable code, a reason, and extra fields.

Every 4xx the server sends is one of these, rendered as
`{"error": code, "detail": reason, ...extra}` so a client (and a person reading logs)
knows what to fix; for chain problems `extra` carries `expected_seq`.
"""

from __future__ import annotations

from typing import Any

from station.errors import StationError


class Problem(StationError):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra

    def payload(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}

    def at_index(self, index: int) -> Problem:
        """The same refusal, saying which envelope of a batch caused it."""
        return Problem(
            self.status, self.code, f"envelope {index}: {self.detail}", **self.extra, index=index
        )
