"""A classroom laptop tells the server's status board how its deploy goes.

Posts are small JSON objects (board.py says which), sent by one background thread so a
slow or absent server never slows the deploy; a post that fails is logged and dropped
(the next one carries the whole state again). `close()` waits for the last post: the
final `done` or `failed` is the one the supervisor must see.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import requests

log = logging.getLogger(__name__)

TIMEOUT = (2.0, 5.0)


# The deploy report's licence status -> the board's licence code (board.py LICENCE_FR).
LICENCE_CODES = {
    "key_written": "pool",
    "firmware_key_present": "firmware",
    "firmware_not_visible": "firmware",  # left to the machine's own firmware key
}


def licence_fields(licence: dict[str, Any] | None) -> dict[str, Any]:
    """What the board is told of a laptop's licence step: which kind of key and the first
    digits of its sha256, never the key (the deploy report holds only its digest)."""
    if not licence:
        return {"licence": "none"}
    code = LICENCE_CODES.get(str(licence.get("status")), "failed")
    digest = licence.get("key_sha256") if code == "pool" else None
    return {"licence": code, **({"key_sha256": str(digest)[:12]} if digest else {})}


class StatusReporter:
    def __init__(self, url: str, laptop: str, bench_id: str | None = None) -> None:
        self.url, self.laptop, self.bench_id = url.rstrip("/") + "/status", laptop, bench_id
        self.frames_verified = self.frames_total = self.frames_over_http = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="classroom-status", daemon=True)
        self._thread.start()

    def say(self, state: str, **fields: Any) -> None:
        """Queue the laptop's state (with the frame counts known so far)."""
        payload = {
            "laptop": self.laptop,
            "state": state,
            "frames_verified": self.frames_verified,
            "frames_total": self.frames_total,
            "frames_over_http": self.frames_over_http,
            **({"bench_id": self.bench_id} if self.bench_id else {}),
            **fields,
        }
        self._queue.put(payload)

    def frame(self, via: str, total: int) -> None:
        """One more frame checked and handed to the writer (`multicast` or `http`)."""
        self.frames_verified, self.frames_total = self.frames_verified + 1, total
        self.frames_over_http += via == "http"
        self.say("receiving")

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=15)
        self._session.close()

    def _run(self) -> None:
        while (payload := self._queue.get()) is not None:
            # Only the newest state matters: skip what a later post already says.
            while not self._queue.empty():
                newer = self._queue.get()
                if newer is None:
                    self._post(payload)
                    return
                payload = newer
            self._post(payload)

    def _post(self, payload: dict[str, Any]) -> None:
        try:
            answer = self._session.post(self.url, json=payload, timeout=TIMEOUT)
            if answer.status_code >= 300:
                log.warning("status board refused %s: %s", payload["state"], answer.text[:200])
        except requests.RequestException as exc:
            log.info("status board unreachable: %s", exc)
