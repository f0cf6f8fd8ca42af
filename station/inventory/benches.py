"""Bench enrolment: a bench presents its public key, a supervisor approves or revokes it.

A bench keeps one key for its whole chain (records.md): presenting a different key under
an enrolled bench_id is refused, so a lost stick means a new bench_id, never a silent
key swap that would let someone continue another bench's chain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from station.domain.clock import utc_now, utc_now_text
from station.inventory.database import Database, Tx
from station.inventory.problems import Problem

BENCH_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Status = Literal["pending", "approved", "revoked"]
# An enrolment nobody approved within a week is forgotten (the bench can enrol again).
PENDING_LIFETIME = timedelta(days=7)
# Constant column lists and placeholders only ever go into SQL text (hence the S608 noqa).
_COLUMNS = "bench_id, name, public_key, key_id, status, enrolled_at, decided_at"


@dataclass(frozen=True)
class Bench:
    bench_id: str
    name: str
    public_key: str  # standard base64 of the raw 32-byte Ed25519 key
    key_id: str  # sha256 (hex) of the raw key, as in the envelopes' signatures
    status: Status
    enrolled_at: str
    decided_at: str | None

    @property
    def raw_key(self) -> bytes:
        return base64.b64decode(self.public_key)

    def public_key_pem(self) -> str:
        key = Ed25519PublicKey.from_public_bytes(self.raw_key)
        return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def _bench(row: tuple[object, ...]) -> Bench:
    bench_id, name, key, kid, status, enrolled, decided = row
    return Bench(
        str(bench_id),
        str(name),
        str(key),
        str(kid),
        status,  # type: ignore[arg-type]
        str(enrolled),
        None if decided is None else str(decided),
    )


def decode_public_key(text: str) -> bytes:
    """The raw 32-byte key from standard base64, or a 422 saying what is wrong."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Problem(
            422, "bad_public_key", f"public_key is not base64: {exc}", field="public_key"
        ) from exc
    if len(raw) != 32:
        raise Problem(
            422,
            "bad_public_key",
            f"public_key must be a raw Ed25519 key of 32 bytes, got {len(raw)}",
            field="public_key",
        )
    return raw


def enrol(db: Database, bench_id: str, name: str, public_key: str) -> tuple[Bench, bool]:
    """Record a pending bench; presenting the same key again is harmless.

    Returns the bench and whether it was created by this call.
    """
    if not re.fullmatch(BENCH_ID_PATTERN, bench_id):
        raise Problem(
            422, "bad_bench_id", f"bench_id must match {BENCH_ID_PATTERN}", field="bench_id"
        )
    raw = decode_public_key(public_key)
    kid = hashlib.sha256(raw).hexdigest()
    canonical_key = base64.b64encode(raw).decode()
    with db.transaction(write=True) as tx:
        expire_pending(tx)
        existing = get_bench_tx(tx, bench_id)
        if existing is not None:
            if existing.key_id != kid:
                raise Problem(
                    409,
                    "bench_key_mismatch",
                    f"bench {bench_id} is already enrolled with another key "
                    f"({existing.key_id[:16]}…); a new key needs a new bench_id",
                )
            return existing, False
        other = tx.row("SELECT bench_id FROM benches WHERE key_id = ?", (kid,))
        if other is not None:
            raise Problem(409, "key_in_use", f"this key is already enrolled for bench {other[0]}")
        tx.run(
            f"INSERT INTO benches ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            (bench_id, name, canonical_key, kid, "pending", utc_now_text(), None),
        )
        created = get_bench_tx(tx, bench_id)
    assert created is not None
    return created, True


def expire_pending(tx: Tx) -> None:
    """Forget enrolments nobody approved within PENDING_LIFETIME: a name or key someone
    presented and abandoned does not block the real bench for ever. A pending bench has
    no records and no keys (both need approval), so nothing else refers to it."""
    cutoff = (utc_now() - PENDING_LIFETIME).isoformat(timespec="seconds")
    # A classroom laptop left pending (classroom.py) goes with its bench: its row refers to it.
    tx.run(
        "DELETE FROM classroom_laptops WHERE bench_id IN (SELECT bench_id FROM benches "
        "WHERE status = 'pending' AND enrolled_at < ?)",
        (cutoff,),
    )
    tx.run("DELETE FROM benches WHERE status = 'pending' AND enrolled_at < ?", (cutoff,))


def decide(db: Database, bench_id: str, status: Status) -> Bench:
    """Approve or revoke a bench (a supervisor's decision)."""
    with db.transaction(write=True) as tx:
        if get_bench_tx(tx, bench_id) is None:
            raise Problem(404, "unknown_bench", f"no bench {bench_id!r} is enrolled")
        tx.run(
            "UPDATE benches SET status = ?, decided_at = ? WHERE bench_id = ?",
            (status, utc_now_text(), bench_id),
        )
        bench = get_bench_tx(tx, bench_id)
    assert bench is not None
    return bench


def get_bench_tx(tx: Tx, bench_id: str, *, lock: bool = False) -> Bench | None:
    suffix = tx.for_update if lock else ""
    sql = f"SELECT {_COLUMNS} FROM benches WHERE bench_id = ?{suffix}"  # noqa: S608
    row = tx.row(sql, (bench_id,))
    return None if row is None else _bench(row)


def get_bench(db: Database, bench_id: str) -> Bench | None:
    with db.transaction() as tx:
        return get_bench_tx(tx, bench_id)


def list_benches(db: Database, *, pending: bool = True) -> list[Bench]:
    """Every bench; without the pending ones (which only admins see) when `pending` is
    False. Expired enrolments are never listed."""
    cutoff = (utc_now() - PENDING_LIFETIME).isoformat(timespec="seconds")
    with db.transaction() as tx:
        rows = tx.rows(f"SELECT {_COLUMNS} FROM benches ORDER BY bench_id")  # noqa: S608
    found = [_bench(row) for row in rows]
    return [b for b in found if b.status != "pending" or (pending and b.enrolled_at >= cutoff)]


def benches_by_key_ids(tx: Tx, key_ids: list[str]) -> list[Bench]:
    if not key_ids:
        return []
    marks = ", ".join("?" for _ in key_ids)
    sql = f"SELECT {_COLUMNS} FROM benches WHERE key_id IN ({marks})"  # noqa: S608
    return [_bench(row) for row in tx.rows(sql, key_ids)]
