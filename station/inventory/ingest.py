"""Ingest: verified envelopes join their bench's chain, or nothing is stored.

A batch is one transaction: any refused envelope rolls the whole batch back and the
answer names it (`index`), so "4xx means nothing stored" holds for batches too. The CPU
work (signatures, schema) happens before the write lock is taken; the chain checks and
the inserts happen under it, so two requests for one bench cannot both extend the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.inventory import classroom
from station.inventory.benches import Bench, benches_by_key_ids, get_bench_tx
from station.inventory.database import Database, Tx
from station.inventory.problems import Problem
from station.inventory.verify import Checked, check_envelope, key_ids_of

_INSERT = (
    "INSERT INTO records (record_id, bench_id, seq, prev, envelope_digest, kind, created_at,"
    " disk_serial, host_id, envelope, body, received_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class Outcome:
    record_id: str
    bench_id: str
    seq: int
    envelope_digest: str
    stored: bool  # False: the server already had exactly this envelope


@dataclass
class _Head:
    seq: int
    digest: str | None


class Ingestor:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Public key objects by keyid; whether a key is still approved is read every time.
        self._keys: dict[str, Ed25519PublicKey] = {}

    def ingest(
        self, envelopes: Sequence[Any], *, idempotency_key: str | None = None, batch: bool = False
    ) -> list[Outcome]:
        """Accept signed records from benches: each envelope's signature must verify with
        an approved bench key, and its seq/prev_hash must extend that bench's chain.

        Promises: all or nothing per call (one transaction); a record already stored is
        answered as a duplicate, never stored twice; a different record at a known seq is
        a fork and refused. Raises Problem (HTTP 4xx) naming what was wrong: bad shape,
        unknown or unapproved key, bad signature, gap, fork, idempotency key mismatch.
        """
        checked = self._check_all(envelopes, batch)
        if idempotency_key is not None and checked and checked[0].record_id != idempotency_key:
            raise Problem(
                422,
                "idempotency_key_mismatch",
                "the Idempotency-Key header must be the record_id of the envelope",
                expected=checked[0].record_id,
            )
        received = datetime.now(UTC).isoformat()
        with self.db.transaction(write=True) as tx:
            # Bench rows are locked first (in a fixed order), and only then are the stored
            # copies looked up, so a concurrent copy of this very batch is seen as a
            # duplicate rather than as a fork.
            heads = {b: self._head(tx, b) for b in sorted({c.bench_id for c in checked})}
            known = self._known_digests(tx, [item.record_id for item in checked])
            outcomes = []
            rows: list[tuple[Any, ...]] = []
            for index, item in enumerate(checked):
                try:
                    outcome = self._place(item, heads, known)
                except Problem as problem:
                    raise problem.at_index(index) if batch else problem from None
                if outcome.stored:
                    known[item.record_id] = item.digest
                    rows.append(_row(item, received))
                outcomes.append(outcome)
            tx.run_many(_INSERT, rows)
        return outcomes

    @staticmethod
    def _known_digests(tx: Tx, record_ids: list[str]) -> dict[str, str]:
        known: dict[str, str] = {}
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT record_id, envelope_digest FROM records WHERE record_id IN ({marks})"  # noqa: S608
            known.update((str(r[0]), str(r[1])) for r in tx.rows(sql, chunk))
        return known

    def _check_all(self, envelopes: Sequence[Any], batch: bool) -> list[Checked]:
        wanted = sorted({k for envelope in envelopes for k in key_ids_of(envelope)})
        with self.db.transaction() as tx:
            benches = {b.key_id: b for b in benches_by_key_ids(tx, wanted)}
        checked = []
        for index, envelope in enumerate(envelopes):
            try:
                checked.append(check_envelope(envelope, benches, self._keys))
            except Problem as problem:
                problem = self._laptop_refusal(envelope, benches, problem)
                raise problem.at_index(index) if batch else problem from None
        return checked

    def _laptop_refusal(
        self, envelope: Any, benches: dict[str, Bench], problem: Problem
    ) -> Problem:
        """A classroom laptop not approved (yet, or any more) is told why in French."""
        if problem.code not in ("key_not_approved", "key_revoked"):
            return problem
        claimed = [benches[k].bench_id for k in key_ids_of(envelope) if k in benches]
        with self.db.transaction() as tx:
            found = classroom.refusal(tx, claimed)
        return next(iter(found.values()), problem)

    def _place(self, item: Checked, heads: dict[str, _Head], known: dict[str, str]) -> Outcome:
        """Where the record goes in its bench's chain: a duplicate, the next link, or a
        409 gap / fork. Advances the head for the records after it in the batch."""
        head = heads[item.bench_id]
        found = known.get(item.record_id)
        if found is not None:
            if found != item.digest:
                raise Problem(
                    409,
                    "record_conflict",
                    f"record {item.record_id[:16]}… is already stored with a different envelope",
                )
            return Outcome(item.record_id, item.bench_id, item.seq, item.digest, stored=False)
        expected = head.seq + 1
        if item.seq != expected:
            if item.seq > expected:
                detail = (
                    f"gap in bench {item.bench_id}'s chain: expected seq {expected}, "
                    f"got {item.seq} (records {expected}..{item.seq - 1} are missing)"
                )
                raise Problem(409, "gap", detail, expected_seq=expected)
            raise Problem(
                409,
                "fork",
                f"fork in bench {item.bench_id}'s chain: seq {item.seq} is already "
                f"stored with another record; the next seq is {expected}",
                expected_seq=expected,
            )
        if item.prev != head.digest:
            raise Problem(
                409,
                "fork",
                f"fork in bench {item.bench_id}'s chain: prev of seq {item.seq} is "
                f"not the digest of the stored seq {head.seq}",
                expected_seq=expected,
                expected_prev=head.digest,
            )
        heads[item.bench_id] = _Head(item.seq, item.digest)
        return Outcome(item.record_id, item.bench_id, item.seq, item.digest, stored=True)

    def _head(self, tx: Tx, bench_id: str) -> _Head:
        # Locks the bench row on PostgreSQL; confirms the key was not revoked meanwhile.
        bench: Bench | None = get_bench_tx(tx, bench_id, lock=True)
        if bench is not None and bench.status != "approved":
            found = classroom.refusal(tx, [bench_id])
            if found:
                raise found[bench_id]
        if bench is None or bench.status != "approved":
            raise Problem(403, "key_revoked", f"bench {bench_id} is no longer approved")
        row = tx.row(
            "SELECT seq, envelope_digest FROM records WHERE bench_id = ? ORDER BY seq DESC LIMIT 1",
            (bench_id,),
        )
        return _Head(0, None) if row is None else _Head(int(row[0]), str(row[1]))


def _row(item: Checked, received: str) -> tuple[Any, ...]:
    return (
        item.record_id,
        item.bench_id,
        item.seq,
        item.prev,
        item.digest,
        item.kind,
        item.created_at,
        item.disk_serial,
        item.host_id,
        item.envelope_text,
        item.body_text,
        received,
    )
