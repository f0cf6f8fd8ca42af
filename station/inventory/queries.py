"""Read side of the inventory: records, disks, devices, daily logs and chain exports.

Everything is answered from the index columns; bodies and envelopes are returned as the
JSON they were signed as, so a client can re-verify what it is shown.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from station.inventory.database import Database

RECORD_COLUMNS = (
    "record_id, bench_id, seq, envelope_digest, kind, created_at, disk_serial,"
    " host_id, received_at, body, envelope"
)
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def _record(row: tuple[Any, ...], *, with_envelope: bool) -> dict[str, Any]:
    (
        record_id,
        bench_id,
        seq,
        digest,
        kind,
        created_at,
        disk_serial,
        host_id,
        received_at,
        body,
        envelope,
    ) = row
    out: dict[str, Any] = {
        "record_id": record_id,
        "bench_id": bench_id,
        "seq": int(seq),
        "envelope_digest": digest,
        "kind": kind,
        "created_at": created_at,
        "disk_serial": disk_serial,
        "host_id": host_id,
        "received_at": received_at,
        "body": json.loads(body),
    }
    if with_envelope:
        out["envelope"] = json.loads(envelope)
    return out


def record_by(db: Database, column: str, value: str) -> dict[str, Any] | None:
    assert column in ("record_id", "envelope_digest")
    with db.transaction() as tx:
        row = tx.row(f"SELECT {RECORD_COLUMNS} FROM records WHERE {column} = ?", (value,))  # noqa: S608 (column is one of two names)
    return None if row is None else _record(row, with_envelope=True)


def chain_head(db: Database, bench_id: str) -> int:
    with db.transaction() as tx:
        row = tx.row("SELECT MAX(seq) FROM records WHERE bench_id = ?", (bench_id,))
    return int(row[0]) if row and row[0] is not None else 0


def daily_log(
    db: Database, bench_id: str, day: date, zone: ZoneInfo | None
) -> list[dict[str, Any]]:
    """The bench's records created during `day` in `zone` (UTC when None), in chain order."""
    start = datetime.combine(day, time(0), tzinfo=zone or UTC).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone or UTC).astimezone(UTC)
    with db.transaction() as tx:
        rows = tx.rows(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE bench_id = ? AND created_at >= ?"  # noqa: S608
            " AND created_at < ? ORDER BY seq",
            (bench_id, start.strftime(_STAMP), end.strftime(_STAMP)),
        )
    return [_record(row, with_envelope=False) for row in rows]


def chain_envelopes(
    db: Database, bench_id: str, after_seq: int, limit: int
) -> list[dict[str, Any]]:
    with db.transaction() as tx:
        rows = tx.rows(
            "SELECT envelope FROM records WHERE bench_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (bench_id, after_seq, limit),
        )
    return [json.loads(row[0]) for row in rows]


def subjects(db: Database, column: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """Disks (column disk_serial) or devices (host_id): how often and when they were seen."""
    assert column in ("disk_serial", "host_id")
    with db.transaction() as tx:
        rows = tx.rows(
            f"SELECT {column}, COUNT(*), MIN(created_at), MAX(created_at) FROM records"  # noqa: S608
            f" WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY {column} LIMIT ? OFFSET ?",
            (limit, offset),
        )
    return [{"id": r[0], "records": int(r[1]), "first_seen": r[2], "last_seen": r[3]} for r in rows]


def history(db: Database, column: str, value: str, limit: int) -> list[dict[str, Any]]:
    """Every record about one disk or device, oldest first (across benches)."""
    assert column in ("disk_serial", "host_id")
    with db.transaction() as tx:
        rows = tx.rows(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE {column} = ?"  # noqa: S608
            " ORDER BY created_at, bench_id, seq LIMIT ?",
            (value, limit),
        )
    return [_record(row, with_envelope=False) for row in rows]


def record_count(db: Database) -> int:
    with db.transaction() as tx:
        row = tx.row("SELECT COUNT(*) FROM records")
    return int(row[0]) if row else 0


def bench_records(
    db: Database, bench_id: str, first_seq: int, last_seq: int, kinds: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The bench's records with first_seq <= seq <= last_seq (of `kinds` only, when
    given), with their envelopes, in chain order."""
    where = "bench_id = ? AND seq >= ? AND seq <= ?"
    params: list[Any] = [bench_id, first_seq, last_seq]
    if kinds:
        where += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        params += list(kinds)
    with db.transaction() as tx:
        rows = tx.rows(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE {where} ORDER BY seq",  # noqa: S608 (placeholders only)
            tuple(params),
        )
    return [_record(row, with_envelope=True) for row in rows]


def record_ids_starting(db: Database, prefix: str, limit: int = 2) -> list[str]:
    """Record ids that start with `prefix` (a certificate number printed on paper)."""
    with db.transaction() as tx:
        rows = tx.rows(
            "SELECT record_id FROM records WHERE record_id >= ? AND record_id < ? LIMIT ?",
            (prefix, prefix + "g", limit),
        )
    return [str(row[0]) for row in rows]
