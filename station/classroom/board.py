"""The supervisor's live table of the classroom: which laptop is where.

Each laptop posts its state to the classroom server (`POST /status`, JSON) as its deploy
goes: `joined` (its disk passed the safety checks and it waits for the stream),
`receiving` (frames checked and written, how many came over HTTP), `verifying` (reading
the disk back), `done`, `failed` with the reason, or `cancelled` (stopped on request: not
a failure of the laptop, its disk is not imaged). The server keeps the last word of
each laptop; the supervisor's page (`GET /`) shows them as a table that refreshes
itself, and `GET /status.json` gives the same to scripts and tests.

A laptop only says what it did: the board never turns a silence into a state (a laptop
that stopped posting keeps its last state, with the time it was said).
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

STATES = ("joined", "receiving", "verifying", "done", "failed", "cancelled")
LABELS_FR = {
    "joined": "inscrit",
    "receiving": "réception",
    "verifying": "vérification",
    "done": "terminé",
    "failed": "échec",
    "cancelled": "arrêté à la demande",
}
MAX_TEXT = 300
# The licence step of each laptop, as the deploy's report says it (never the key itself:
# the board shows at most the first hex digits of the key's sha256).
LICENCE_FR = {
    "pool": "clé du stock",
    "firmware": "clé du firmware",
    "none": "aucune",
    "failed": "échec",
}
_SHA_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")
SHOWN_SHA = 12
_BENCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass
class LaptopStatus:
    laptop: str
    state: str
    frames_verified: int = 0
    frames_total: int = 0
    frames_over_http: int = 0
    reason: str | None = None
    transport: str | None = None
    licence: str | None = None  # a key of LICENCE_FR
    key_sha256: str | None = None  # the first SHOWN_SHA hex digits of the key's sha256
    bench_id: str | None = None  # the laptop's bench identity (its journal's), if it has one
    said_at: str = ""


class BadStatus(ValueError):
    """A status post that cannot be used; answered 400 with this message."""


def _licence(payload: dict[str, Any]) -> tuple[str | None, str | None]:
    """The licence step's code and key digest prefix; a full product key cannot pass (it
    is neither a code nor lowercase hex)."""
    licence, digest = payload.get("licence"), payload.get("key_sha256")
    if licence is not None and licence not in LICENCE_FR:
        raise BadStatus(f"'licence' must be one of {', '.join(LICENCE_FR)}")
    if digest is not None and (not isinstance(digest, str) or not _SHA_PREFIX.match(digest)):
        raise BadStatus("'key_sha256' must be the key's sha256 in lowercase hex, never the key")
    return licence, None if digest is None else digest[:SHOWN_SHA]


def licence_words(licence: str | None, key_sha256: str | None) -> str:
    """The licence step in French for the supervisor's table ("–" before it happened)."""
    if licence is None:
        return "–"
    words = LICENCE_FR[licence]
    return f"{words} (empreinte {key_sha256}…)" if key_sha256 else words


class StatusBoard:
    """Thread-safe last state of every laptop of the session."""

    def __init__(self, title: str = "") -> None:
        self.title = title
        self._lock = threading.Lock()
        self._laptops: dict[str, LaptopStatus] = {}

    def post(self, payload: Any) -> LaptopStatus:
        """Take one laptop's post (already decoded JSON); BadStatus when it is not usable."""
        if not isinstance(payload, dict):
            raise BadStatus("a status is a JSON object")
        laptop, state = payload.get("laptop"), payload.get("state")
        if not isinstance(laptop, str) or not laptop.strip() or len(laptop) > 64:
            raise BadStatus("'laptop' must name the laptop (1 to 64 characters)")
        if state not in STATES:
            raise BadStatus(f"'state' must be one of {', '.join(STATES)}")
        status = LaptopStatus(laptop.strip(), state, said_at=datetime.now(UTC).isoformat())
        for name in ("frames_verified", "frames_total", "frames_over_http"):
            value = payload.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise BadStatus(f"'{name}' must be a whole number")
            setattr(status, name, value)
        for name in ("reason", "transport"):
            value = payload.get(name)
            if value is not None and not isinstance(value, str):
                raise BadStatus(f"'{name}' must be text")
            setattr(status, name, None if value is None else value[:MAX_TEXT])
        status.licence, status.key_sha256 = _licence(payload)
        bench_id = payload.get("bench_id")
        if bench_id is not None and (not isinstance(bench_id, str) or not _BENCH.match(bench_id)):
            raise BadStatus("'bench_id' must be a bench id (letters, digits, . _ -)")
        status.bench_id = bench_id
        with self._lock:
            self._laptops[status.laptop] = status
        return status

    def clear(self, title: str) -> None:
        """A new session: nobody has said anything yet."""
        with self._lock:
            self.title = title
            self._laptops.clear()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(s) for s in sorted(self._laptops.values(), key=lambda s: s.laptop)]

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(STATES, 0)
        for row in self.snapshot():
            found[row["state"]] += 1
        return found

    def page(self) -> str:
        """The supervisor's page, in French, refreshed every 2 seconds by the browser."""
        rows = []
        for row in self.snapshot():
            total = row["frames_total"] or 0
            done = f"{row['frames_verified']}/{total}" if total else "–"
            rows.append(
                "<tr class='{state}'><td>{laptop}</td><td>{label}</td><td>{done}</td>"
                "<td>{http}</td><td>{licence}</td><td>{reason}</td><td>{at}</td></tr>".format(
                    state=row["state"],
                    laptop=html.escape(row["laptop"]),
                    label=LABELS_FR[row["state"]],
                    done=done,
                    http=row["frames_over_http"],
                    licence=html.escape(licence_words(row["licence"], row["key_sha256"])),
                    reason=html.escape(row["reason"] or row["transport"] or ""),
                    at=html.escape(row["said_at"][11:19]),
                )
            )
        counts = ", ".join(f"{LABELS_FR[k]} : {v}" for k, v in self.counts().items())
        return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>Salle de classe – {html.escape(self.title)}</title>
<style>body{{font-family:sans-serif}}td,th{{padding:2px 10px;border-bottom:1px solid #ccc}}
.failed{{background:#fdd}}.done{{background:#dfd}}</style></head><body>
<h1>Déploiement en salle : {html.escape(self.title)}</h1>
<p id="counts">{counts}</p>
<table><thead><tr><th>Portable</th><th>État</th><th>Blocs vérifiés</th>
<th>Blocs par HTTP</th><th>Licence</th><th>Raison / transport</th><th>Heure (UTC)</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody></table></body></html>
"""
