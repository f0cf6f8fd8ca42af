"""The supervisor's control of a classroom session, for a page or a screen to drive.

`SessionControl` owns one running `ClassroomServer` (files over HTTP, the status board)
and runs at most one session at a time in a thread: which image (one of the served
folders that can be streamed), how many laptops, start now or when N laptops joined (with
a wait limit), cancel. It tells where the session stands (`view()`): waiting for the
laptops, streaming, finished, cancelled, or failed with the reason, and the board's
table. The session itself is `conduct` (conduct.py), as `station classroom serve` runs it.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from station.classroom.conduct import SessionPlan, conduct
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.errors import StationError, UsageError
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import IMAGE_FILE

log = logging.getLogger(__name__)

Phase = Literal["idle", "waiting", "streaming", "finished", "cancelled", "failed"]
PHASE_FR: dict[str, str] = {
    "idle": "aucune séance",
    "waiting": "en attente des portables",
    "streaming": "envoi de l'image en cours",
    "finished": "terminée",
    "cancelled": "annulée",
    "failed": "échec",
}
MAX_LAPTOPS = 500
MAX_WAIT_S = 4 * 3600
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass
class SessionState:
    phase: Phase = "idle"
    image: str | None = None
    laptops: int = 0
    start_now: bool = False
    join_wait_s: float = 0.0
    started_at: str | None = None
    streaming_to: int = 0
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)


class SessionControl:
    """Start, follow and cancel one session at a time on `server` (already started)."""

    def __init__(
        self,
        server: ClassroomServer,
        sender: SenderSettings,
        *,
        poll_s: float = 1.0,
    ) -> None:
        self.server = server
        self.sender = sender
        self.poll_s = poll_s
        self._lock = threading.Lock()
        self._state = SessionState()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def images(self) -> list[str]:
        """The served image folders a laptop can check frame by frame (disk.frames)."""
        folder = self.server.root / "images"
        if not folder.is_dir():
            return []
        return sorted(
            path.name
            for path in folder.iterdir()
            if (path / IMAGE_FILE).is_file() and (path / FRAMES_FILE).is_file()
        )

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, image: str, laptops: int, *, start_now: bool, join_wait_s: float) -> None:
        """Begin a session; UsageError (in French) when it cannot start as asked."""
        if self.running:
            raise UsageError("une séance est déjà en cours : annulez-la d'abord")
        if not _NAME.match(image) or image not in self.images():
            raise UsageError(f"image inconnue : {image!r} (choisissez une image servie)")
        if not 1 <= laptops <= MAX_LAPTOPS:
            raise UsageError(f"nombre de portables : de 1 à {MAX_LAPTOPS}")
        if not 0 < join_wait_s <= MAX_WAIT_S:
            raise UsageError(f"attente des portables : de 1 à {MAX_WAIT_S} secondes")
        plan = SessionPlan(
            self.server.root / "images" / image,
            self.sender,
            laptops,
            start_now=start_now,
            join_wait_s=join_wait_s,
        )
        self.server.board.clear(image)
        self._stop = threading.Event()
        with self._lock:
            self._state = SessionState(
                "waiting",
                image,
                laptops,
                start_now,
                join_wait_s,
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        self._thread = threading.Thread(
            target=self._run, args=(plan, self._stop), name="classroom-session", daemon=True
        )
        self._thread.start()

    def cancel(self) -> bool:
        """Stop the session (the stream too); False when none runs."""
        if not self.running:
            return False
        self._stop.set()
        return True

    def wait(self, timeout: float) -> bool:
        """True once the session's thread ended (tests, shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def view(self) -> dict[str, Any]:
        """Where the session stands and the board's table (a copy)."""
        with self._lock:
            state = SessionState(**{**self._state.__dict__})
        state.counts = self.server.board.counts()
        return {"session": state.__dict__, "laptops": self.server.board.snapshot()}

    def _set(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._state, name, value)

    def _run(self, plan: SessionPlan, stop: threading.Event) -> None:
        try:
            conduct(
                self.server,
                plan,
                say=lambda line: log.info("classroom: %s", line),
                stop=stop,
                poll_s=self.poll_s,
                on_stream=lambda n: self._set(phase="streaming", streaming_to=n),
            )
        except StationError as exc:
            log.warning("classroom session failed: %s", exc.one_line())
            self._set(phase="failed", reason=exc.one_line())
        else:
            self._set(phase="cancelled" if stop.is_set() else "finished")
        finally:
            if self.server.sender is not None:
                self.server.sender.stop()
                self.server.sender = None
