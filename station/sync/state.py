"""What the UI and `station sync --status` show about sync: online, pending, last error.

The pusher thread writes it, the UI reads `snapshot()` from its own thread; a lock keeps
each snapshot consistent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from station.domain.text import LocalizedText


@dataclass(frozen=True)
class SyncSnapshot:
    online: bool | None = None  # None: not tried yet
    pending: int = 0
    last_error: str | None = None
    last_error_fr: str | None = None  # the same in French, for a French bench's badge
    last_success: datetime | None = None
    sent: int = 0  # records acknowledged by the server since this process started
    server: str | None = None
    network: bool | None = None  # False: no route off this machine (cable, Wi-Fi, DHCP)

    def error_in(self, lang: str) -> str | None:
        """The last error in `lang` ("fr" or "en"); English when no French was given."""
        if lang == "fr" and self.last_error_fr:
            return self.last_error_fr
        return self.last_error

    def label(self) -> LocalizedText:
        """One short line for the status bar."""
        if self.server is None:
            return LocalizedText(
                fr=f"Inventaire non configuré · {self.pending} en attente",
                en=f"No inventory configured · {self.pending} pending",
            )
        if self.online is not True and self.network is False:
            return LocalizedText(
                fr=f"Inventaire : réseau absent · {self.pending} en attente",
                en=f"Inventory: no network · {self.pending} pending",
            )
        if self.online is None:
            return LocalizedText(
                fr=f"Inventaire : connexion… · {self.pending} en attente",
                en=f"Inventory: connecting… · {self.pending} pending",
            )
        if self.online and self.last_error is None and self.last_success is not None:
            # "Online" only once the server acknowledged a pushed record, never for an
            # answer that proved nothing.
            return LocalizedText(
                fr=f"Inventaire en ligne · {self.pending} en attente",
                en=f"Inventory online · {self.pending} pending",
            )
        if self.online and self.last_error is None:
            return LocalizedText(
                fr=f"Inventaire : rien envoyé encore · {self.pending} en attente",
                en=f"Inventory: nothing sent yet · {self.pending} pending",
            )
        if self.online:
            return LocalizedText(
                fr=f"Inventaire : envoi refusé · {self.pending} en attente",
                en=f"Inventory refused a record · {self.pending} pending",
            )
        return LocalizedText(
            fr=f"Inventaire : serveur injoignable · {self.pending} en attente",
            en=f"Inventory: server unreachable · {self.pending} pending",
        )


class SyncState:
    def __init__(self, server: str | None = None, pending: int = 0) -> None:
        self._lock = threading.Lock()
        self._snapshot = SyncSnapshot(server=server, pending=pending)

    def snapshot(self) -> SyncSnapshot:
        with self._lock:
            return self._snapshot

    def succeeded(self, sent: int, pending: int) -> None:
        with self._lock:
            self._snapshot = replace(
                self._snapshot,
                online=True,
                pending=pending,
                last_error=None,
                last_error_fr=None,
                last_success=datetime.now(UTC),
                network=True,
                sent=self._snapshot.sent + sent,
            )

    def failed(
        self,
        error: str,
        *,
        online: bool,
        pending: int,
        network: bool | None = None,
        french: str | None = None,
    ) -> None:
        """`network`: whether the machine had a route at all (None: not looked at);
        `french`: the error as a French bench shows it."""
        with self._lock:
            self._snapshot = replace(
                self._snapshot,
                online=online,
                pending=pending,
                last_error=error,
                last_error_fr=french,
                network=True if online else network,
            )

    def reachable(self) -> None:
        """The server answered (a health check with nothing to send)."""
        with self._lock:
            self._snapshot = replace(
                self._snapshot, online=True, last_error=None, last_error_fr=None, network=True
            )

    def set_pending(self, pending: int) -> None:
        with self._lock:
            self._snapshot = replace(self._snapshot, pending=pending)
