"""The refurbisher key pool: import, reserve per bench, assign once, return or quarantine.

A key's life: available -> reserved (by one bench, atomically) -> assigned (to one device,
ever) or back to available / quarantined after a failed deploy. `key_assignments` has the
key's sha256 as primary key: the database itself refuses a second assignment of a key,
whichever bench asks. Full keys leave the server only in a reservation answer to the
bench that reserved them; everything else shows their sha256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from station.domain.clock import utc_now, utc_now_text
from station.inventory.database import Database, Tx
from station.inventory.problems import Problem

KEY_PATTERN = re.compile(r"^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$")
KEY_COLUMNS = ("product_key", "key", "product key")
Status = Literal["available", "reserved", "assigned", "quarantined"]

MIGRATION: list[str] = [
    """CREATE TABLE licence_keys (
        key_sha256 TEXT PRIMARY KEY,
        product_key TEXT NOT NULL UNIQUE,
        product TEXT NOT NULL,
        pool TEXT NOT NULL,
        status TEXT NOT NULL,
        bench_id TEXT REFERENCES benches (bench_id),
        reservation TEXT,
        imported_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    )""",
    "CREATE INDEX licence_keys_pick ON licence_keys (pool, product, status)",
    """CREATE TABLE key_assignments (
        key_sha256 TEXT PRIMARY KEY REFERENCES licence_keys (key_sha256),
        device_id TEXT NOT NULL,
        bench_id TEXT NOT NULL,
        record_id TEXT NOT NULL UNIQUE,
        assigned_at TEXT NOT NULL
    )""",
]


# A signed key-pool request is answered once: its record_id is kept (with the answer) until
# its freshness window has surely ended, and a replay gets that first answer back.
SIGNED_REQUESTS_MIGRATION: list[str] = [
    """CREATE TABLE signed_requests (
        record_id TEXT PRIMARY KEY,
        bench_id TEXT NOT NULL,
        answer TEXT,
        expires_at TEXT NOT NULL
    )""",
]
# Twice the freshness window: a request's created_at may be up to 15 min ahead or behind.
REMEMBER = timedelta(minutes=30)


def key_sha256(product_key: str) -> str:
    return hashlib.sha256(product_key.strip().upper().encode()).hexdigest()


@dataclass(frozen=True)
class ImportResult:
    imported: int
    already_known: int
    invalid_lines: list[int]


def parse_csv(text: str) -> list[tuple[int, str | None, str | None]]:
    """(line number, key or None when invalid, product or None) for each data line.

    Commas, or the semicolons a French spreadsheet writes, or tabs; a file the csv
    module cannot read is a 422 that says so, never a server error."""
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        fields = {name.strip().lower(): name for name in reader.fieldnames or []}
        column = next((fields[c] for c in KEY_COLUMNS if c in fields), None)
        if column is None:
            raise Problem(422, "bad_csv", "the CSV needs a 'product_key' column", field="csv")
        product_column = fields.get("product")
        rows = []
        for row in reader:
            key = (row.get(column) or "").strip().upper()
            product = (row.get(product_column) or "").strip() if product_column else None
            rows.append((reader.line_num, key if KEY_PATTERN.match(key) else None, product or None))
    except csv.Error as exc:
        raise Problem(422, "bad_csv", f"the CSV cannot be read: {exc}", field="csv") from exc
    return rows


def import_keys(db: Database, text: str, *, pool: str, product: str) -> ImportResult:
    rows = parse_csv(text)
    invalid = [line for line, key, _ in rows if key is None]
    imported = known = 0
    now = utc_now_text()
    with db.transaction(write=True) as tx:
        for _, key, line_product in rows:
            if key is None:
                continue
            digest = key_sha256(key)
            if tx.row("SELECT 1 FROM licence_keys WHERE key_sha256 = ?", (digest,)):
                known += 1
                continue
            tx.run(
                "INSERT INTO licence_keys (key_sha256, product_key, product, pool, status, "
                "imported_at, changed_at) VALUES (?, ?, ?, ?, 'available', ?, ?)",
                (digest, key, line_product or product, pool, now, now),
            )
            imported += 1
    return ImportResult(imported, known, invalid)


def once(
    db: Database, request_id: str, bench_id: str, answer: Callable[[Tx], str]
) -> tuple[str, bool]:
    """`answer(tx)` run once per signed request id, in one transaction with remembering
    it: (the answer, True) the first time, (the first answer, False) on a replay.

    The INSERT comes first: a concurrent replay waits on it (PostgreSQL's unique index,
    SQLite's writer lock) and then finds the answer already stored.
    """
    now = utc_now()
    with db.transaction(write=True) as tx:
        tx.run("DELETE FROM signed_requests WHERE expires_at < ?", (now.isoformat(),))
        tx.run(
            "INSERT INTO signed_requests (record_id, bench_id, answer, expires_at) "
            "VALUES (?, ?, NULL, ?) ON CONFLICT (record_id) DO NOTHING",
            (request_id, bench_id, (now + REMEMBER).isoformat()),
        )
        found = tx.row(
            "SELECT bench_id, answer FROM signed_requests WHERE record_id = ?", (request_id,)
        )
        assert found is not None
        if found[1] is not None:
            if str(found[0]) != bench_id:
                raise Problem(403, "wrong_bench", "this request belongs to another bench")
            return str(found[1]), False
        text = answer(tx)
        tx.run("UPDATE signed_requests SET answer = ? WHERE record_id = ?", (text, request_id))
    return text, True


def reserve_tx(
    tx: Tx, bench_id: str, *, pool: str, product: str, count: int
) -> list[tuple[str, str]]:
    """Up to `count` available keys, now reserved by `bench_id`: [(sha256, key)].

    Two benches reserving at once never get the same key, and each takes what is
    available: on PostgreSQL the candidate rows are locked with SKIP LOCKED, so a bench
    skips the keys another bench is taking instead of waiting for them and then finding
    them gone (which left it with 0 keys while others remained); SQLite serializes
    writers, so each reservation sees the previous one's result.
    """
    # `skip` is a fixed suffix, never user input (hence the S608 noqa). The pick is its
    # own statement: inside `UPDATE ... IN (SELECT ... LIMIT)` PostgreSQL may run the
    # locking subquery more than once and take more keys than asked.
    skip = " FOR UPDATE SKIP LOCKED" if tx.dialect == "postgresql" else ""
    picked = tx.rows(
        "SELECT key_sha256, product_key FROM licence_keys WHERE pool = ? AND product = ? "  # noqa: S608
        f"AND status = 'available' ORDER BY imported_at, key_sha256 LIMIT ?{skip}",
        (pool, product, count),
    )
    now, reservation = utc_now_text(), uuid.uuid4().hex
    tx.run_many(
        "UPDATE licence_keys SET status = 'reserved', bench_id = ?, reservation = ?, "
        "changed_at = ? WHERE key_sha256 = ? AND status = 'available'",
        [(bench_id, reservation, now, digest) for digest, _ in picked],
    )
    return sorted((str(digest), str(key)) for digest, key in picked)


def reserve(
    db: Database, bench_id: str, *, pool: str, product: str, count: int
) -> list[tuple[str, str]]:
    """`reserve_tx` in a transaction of its own."""
    with db.transaction(write=True) as tx:
        return reserve_tx(tx, bench_id, pool=pool, product=product, count=count)


def _reserved_by(tx: Tx, digest: str, bench_id: str) -> tuple[str, str | None]:
    # for_update is a fixed suffix (" FOR UPDATE" on PostgreSQL), never user input.
    sql = "SELECT status, bench_id FROM licence_keys WHERE key_sha256 = ?" + tx.for_update  # noqa: S608
    found = tx.row(sql, (digest,))
    if found is None:
        raise Problem(404, "unknown_key", f"no key with sha256 {digest[:16]}… in the pool")
    return str(found[0]), None if found[1] is None else str(found[1])


def _require_reserved(status: str, holder: str | None, digest: str, bench_id: str) -> None:
    if status != "reserved" or holder != bench_id:
        raise Problem(409, "key_not_reserved", f"key {digest[:16]}… is not reserved by {bench_id}")


def assign(db: Database, digest: str, *, bench_id: str, device_id: str, record_id: str) -> bool:
    """Record the key's one assignment; True when new, False when this same record was
    already recorded. Another device or bench gets a 409."""
    with db.transaction(write=True) as tx:
        status, holder = _reserved_by(tx, digest, bench_id)
        previous = tx.row(
            "SELECT device_id, record_id FROM key_assignments WHERE key_sha256 = ?", (digest,)
        )
        if previous is not None:
            if str(previous[1]) == record_id:
                return False
            raise Problem(
                409,
                "key_already_assigned",
                f"key {digest[:16]}… is already assigned to device {previous[0]}",
            )
        _require_reserved(status, holder, digest, bench_id)
        tx.run(
            "INSERT INTO key_assignments (key_sha256, device_id, bench_id, record_id, "
            "assigned_at) VALUES (?, ?, ?, ?, ?)",
            (digest, device_id, bench_id, record_id, utc_now_text()),
        )
        tx.run(
            "UPDATE licence_keys SET status = 'assigned', changed_at = ? WHERE key_sha256 = ?",
            (utc_now_text(), digest),
        )
    return True


def release(db: Database, digests: list[str], *, bench_id: str, quarantine: bool) -> int:
    """`release_tx` in a transaction of its own."""
    with db.transaction(write=True) as tx:
        return release_tx(tx, digests, bench_id=bench_id, quarantine=quarantine)


def release_tx(tx: Tx, digests: list[str], *, bench_id: str, quarantine: bool) -> int:
    """Keys a bench reserved but did not assign: back to the pool, or quarantined."""
    status = "quarantined" if quarantine else "available"
    for digest in digests:
        current, holder = _reserved_by(tx, digest, bench_id)
        _require_reserved(current, holder, digest, bench_id)
        tx.run(
            "UPDATE licence_keys SET status = ?, bench_id = ?, reservation = NULL, "
            "changed_at = ? WHERE key_sha256 = ?",
            (status, bench_id if quarantine else None, utc_now_text(), digest),
        )
    return len(digests)


def summary(db: Database, pool: str | None) -> list[tuple[str, str, str, str | None]]:
    """(sha256, product, status, bench) of every key, never the key itself."""
    sql = "SELECT key_sha256, product, status, bench_id FROM licence_keys"
    params: tuple[str, ...] = ()
    if pool is not None:
        sql, params = sql + " WHERE pool = ?", (pool,)
    with db.transaction() as tx:
        rows = tx.rows(sql + " ORDER BY imported_at, key_sha256", params)
    return [(str(a), str(b), str(c), None if d is None else str(d)) for a, b, c, d in rows]
