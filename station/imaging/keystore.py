"""The bench's reserved licence keys, usable offline: a small SQLite file on the stick.

Keys come in through a reservation (online); a deploy takes one (offline) in a write
transaction, so the same key never goes to two machines; the assignment or the release
is told to the inventory at the next `station keys sync`. The full key is kept only here
(0600 file) until it is assigned; listings show its sha256.

    reserved ──take──► taken ──assigned──► assigned ──sync──► reported
                         └──failed──► to_return / to_quarantine ──sync──► returned / quarantined
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from station.errors import ImageError, JournalError

KEYSTORE_FILE = "licence-keys.sqlite3"
SCHEMA = """CREATE TABLE IF NOT EXISTS bench_keys (
    key_sha256 TEXT PRIMARY KEY,
    product_key TEXT,
    product TEXT NOT NULL,
    pool TEXT NOT NULL,
    status TEXT NOT NULL,
    device_id TEXT UNIQUE,
    envelope TEXT,
    changed_at TEXT NOT NULL
)"""


@dataclass(frozen=True)
class HeldKey:
    key_sha256: str
    product: str
    pool: str
    status: str
    device_id: str | None


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        self._db = sqlite3.connect(path, isolation_level=None, timeout=30)
        if fresh:
            path.chmod(0o600)  # full keys live here until they are assigned
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        # A key set to NULL once assigned must not linger in freed space of the file.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise JournalError(f"key store {self.path}: {exc}") from exc
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add_reserved(self, keys: list[tuple[str, str]], *, product: str, pool: str) -> int:
        now = datetime.now(UTC).isoformat()
        with self._write() as db:
            for digest, key in keys:
                db.execute(
                    "INSERT OR IGNORE INTO bench_keys (key_sha256, product_key, product, pool, "
                    "status, changed_at) VALUES (?, ?, ?, ?, 'reserved', ?)",
                    (digest, key, product, pool, now),
                )
        return len(keys)

    def take(self, *, product: str, pool: str, device_id: str) -> tuple[str, str]:
        """(sha256, key) of a reserved key, now taken for `device_id` (one per device)."""
        with self._write() as db:
            held = db.execute(
                "SELECT key_sha256 FROM bench_keys WHERE device_id = ?", (device_id,)
            ).fetchone()
            if held is not None:
                raise ImageError(f"device {device_id} already has key {held[0][:16]}…")
            row = db.execute(
                "SELECT key_sha256, product_key FROM bench_keys WHERE status = 'reserved' "
                "AND product = ? AND pool = ? ORDER BY key_sha256 LIMIT 1",
                (product, pool),
            ).fetchone()
            if row is None:
                raise ImageError(
                    f"no reserved {product} key left from pool {pool}: "
                    "reserve more with `station keys reserve` while online"
                )
            self._set(db, row[0], "taken", device_id=device_id)
        return str(row[0]), str(row[1])

    def _set(self, db: sqlite3.Connection, digest: str, status: str, **extra: str | None) -> None:
        columns = "".join(f", {name} = ?" for name in extra)
        db.execute(
            f"UPDATE bench_keys SET status = ?, changed_at = ?{columns} "  # noqa: S608
            "WHERE key_sha256 = ?",
            (status, datetime.now(UTC).isoformat(), *extra.values(), digest),
        )

    def assigned(self, digest: str, envelope: str) -> None:
        """The key is in the answer file and its signed record exists: forget the key."""
        with self._write() as db:
            self._set(db, digest, "assigned", envelope=envelope, product_key=None)

    def failed(self, digest: str, *, quarantine: bool) -> None:
        with self._write() as db:
            self._set(db, digest, "to_quarantine" if quarantine else "to_return", device_id=None)

    def settle(self, digest: str, status: str) -> None:
        with self._write() as db:
            self._set(db, digest, status, product_key=None)

    def with_status(self, status: str) -> list[tuple[str, str | None]]:
        rows = self._db.execute(
            "SELECT key_sha256, envelope FROM bench_keys WHERE status = ? ORDER BY key_sha256",
            (status,),
        ).fetchall()
        return [(str(a), b) for a, b in rows]

    def listing(self) -> list[HeldKey]:
        rows = self._db.execute(
            "SELECT key_sha256, product, pool, status, device_id FROM bench_keys "
            "ORDER BY changed_at, key_sha256"
        ).fetchall()
        return [HeldKey(*row) for row in rows]
