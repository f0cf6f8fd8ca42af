"""The bench journal: signed, chained step records and their outbox, in SQLite.

What the rest of Station relies on (records.md, "The local journal"):

- `append` validates the body, assigns `seq`/`prev`, signs, and inserts the record and its
  outbox row in ONE transaction. The signature is made before COMMIT, so a crash leaves
  either the whole signed record with its outbox row, or nothing. When `append` returns,
  the record is on disk (WAL, synchronous=FULL).
- Appends are serialized (a lock between threads, BEGIN IMMEDIATE between processes),
  so concurrent callers always produce one unbroken chain.
- One SQLite connection per thread, each with a busy timeout.
- The outbox API is what the sync pusher drains: `pending`, `mark_sent`, `note_failure`,
  `pending_count`, `last_error`.

Every SQLite failure becomes a JournalError naming the journal file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from station.domain.record import StepBody, body_to_json, parse_body
from station.errors import JournalError, RecordError
from station.journal.chain import ChainReport, decode_payload, verify_chain
from station.journal.envelope import compute_record_id, envelope_digest, sign_body
from station.journal.head import (
    ChainHead,
    HeadUnreadable,
    check_against,
    head_path,
    read_head,
    write_head,
)
from station.journal.keys import BenchKey
from station.journal.migrations import journal_migrations
from station.paths import data_dir

JOURNAL_FILE = "journal.sqlite3"
DEFAULT_BUSY_TIMEOUT_MS = 15_000


def default_journal_path() -> Path:
    return data_dir() / JOURNAL_FILE


@dataclass(frozen=True)
class StoredRecord:
    seq: int
    record_id: str
    kind: str
    created_at: str
    digest: str
    envelope: dict[str, Any]

    def body(self) -> dict[str, Any]:
        """The signed body (decoded from the envelope, not re-checked: see chain.py)."""
        return decode_payload(self.envelope)

    def envelope_prev(self) -> str | None:
        """The digest of the record this one follows, as signed."""
        prev = self.body().get("prev")
        return None if prev is None else str(prev)


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    record_id: str
    envelope: dict[str, Any]


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC text, so that comparing strings in SQL compares times."""
    if moment.tzinfo is None:
        raise JournalError(f"a time without a timezone is ambiguous: {moment.isoformat()}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Journal:
    def __init__(
        self,
        path: Path | str,
        key: BenchKey,
        bench_id: str | None = None,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = Path(path)
        self.key = key
        self.bench_id = bench_id or key.bench_id
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[Database] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        # Bumped by reopen(): a thread's cached connection from before is not used again.
        self._generation = 0
        # Called with the records just appended, after their transaction (a classroom
        # laptop pushes them to the inventory at once: its journal is only in RAM).
        self.after_append: Callable[[list[StoredRecord]], None] | None = None
        # The last chain head this process saved beside the key (station.journal.head).
        self.vouched_head: ChainHead | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(f"journal {self.path}: cannot create its folder: {exc}") from exc
        with self._sqlite_errors("open"):
            self._prepare(self._db())

    # -- writing -------------------------------------------------------------------------

    def append(self, body: dict[str, Any] | StepBody) -> StoredRecord:
        return self.append_many([body])[0]

    def append_many(self, bodies: Iterable[dict[str, Any] | StepBody]) -> list[StoredRecord]:
        """Append several records in one transaction (all or none)."""
        drafts = [self._draft(body) for body in bodies]
        stored: list[StoredRecord] = []
        with self._write_lock, self._sqlite_errors("append a record"):
            db = self._db()
            with _immediate_transaction(db):
                tip = self._tip(db)
                for draft in drafts:
                    tip = self._seal(draft, tip)
                    self._insert(db, tip)
                    stored.append(tip)
            if tip is not None:
                self.save_head(tip)
        if stored and self.after_append is not None:
            self.after_append(stored)
        return stored

    def insert_sealed(self, records: list[StoredRecord]) -> None:
        """Insert records sealed earlier (held while the stick was out), in order, in one
        transaction: the first must continue the stored chain's tip, or nothing is
        written (JournalError)."""
        if not records:
            return
        with self._write_lock, self._sqlite_errors("write the held records"):
            db = self._db()
            with _immediate_transaction(db):
                tip = self._tip(db)
                first = records[0]
                if first.seq != (tip.seq + 1 if tip else 1) or first.envelope_prev() != (
                    tip.digest if tip else None
                ):
                    raise JournalError(
                        f"journal {self.path}: the held records (from seq {first.seq}) do not "
                        f"continue its tip (seq {tip.seq if tip else 0})"
                    )
                for record in records:
                    self._insert(db, record)
            self.save_head(records[-1])

    def reopen(self) -> None:
        """Drop every connection (they may point into a filesystem that is gone: the
        stick was pulled) and open the journal file again, checking it is this bench's."""
        self.let_go()
        with self._sqlite_errors("open"):
            self._prepare(self._db())

    def let_go(self) -> None:
        """Close every connection, so the filesystem under the journal can be unmounted;
        the next use opens new ones."""
        with self._connections_lock:
            for db in self._connections:
                with suppress(sqlite3.Error):
                    db.close()
            self._connections.clear()
            self._generation += 1
            self._closed = False

    def mark_sent(self, record_id: str) -> None:
        """The inventory has the record (a repeated call is harmless)."""
        with self._sqlite_errors("mark a record sent"):
            cursor = self._db().execute(
                "UPDATE outbox SET sent_at = coalesce(sent_at, ?) WHERE record_id = ?",
                [utc_text(datetime.now(UTC)), record_id],
            )
        if cursor.rowcount == 0:
            raise JournalError(f"journal {self.path}: no outbox entry for record {record_id}")

    def mark_sent_many(self, record_ids: Iterable[str]) -> None:
        """mark_sent for a batch in one transaction: one disk sync instead of one each."""
        wanted = list(record_ids)
        sent_at = utc_text(datetime.now(UTC))
        with self._sqlite_errors("mark records sent"):
            db = self._db()
            with db.atomic():
                for record_id in wanted:
                    cursor = db.execute(
                        "UPDATE outbox SET sent_at = coalesce(sent_at, ?) WHERE record_id = ?",
                        [sent_at, record_id],
                    )
                    if cursor.rowcount == 0:
                        raise JournalError(
                            f"journal {self.path}: no outbox entry for record {record_id}"
                        )

    def note_failure(self, record_id: str, error: str) -> None:
        with self._sqlite_errors("note a sync failure"):
            cursor = self._db().execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?"
                " WHERE record_id = ?",
                [error, utc_text(datetime.now(UTC)), record_id],
            )
        if cursor.rowcount == 0:
            raise JournalError(f"journal {self.path}: no outbox entry for record {record_id}")

    # -- reading -------------------------------------------------------------------------

    def pending(self, limit: int = 100) -> list[OutboxItem]:
        """Records not yet acknowledged by the inventory, oldest first."""
        rows = self._rows(
            "SELECT o.seq, o.record_id, r.envelope FROM outbox o"
            " JOIN records r ON r.record_id = o.record_id"
            " WHERE o.sent_at IS NULL ORDER BY o.seq LIMIT ?",
            [limit],
        )
        return [OutboxItem(row[0], row[1], self._envelope(row[2], row[0])) for row in rows]

    def pending_count(self) -> int:
        return int(self._rows("SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0])

    def last_error(self) -> str | None:
        """The latest sync error of a record still pending; None when none has failed."""
        rows = self._rows(
            "SELECT last_error FROM outbox WHERE sent_at IS NULL AND last_error IS NOT NULL"
            " ORDER BY last_attempt_at DESC, seq DESC LIMIT 1"
        )
        return str(rows[0][0]) if rows else None

    def count(self) -> int:
        return int(self._rows("SELECT count(*) FROM records")[0][0])

    def tip(self) -> StoredRecord | None:
        return self._one("ORDER BY seq DESC LIMIT 1", [])

    def get(self, record_id: str) -> StoredRecord | None:
        return self._one("WHERE record_id = ?", [record_id])

    def records_between(self, start_utc: datetime, end_utc: datetime) -> list[StoredRecord]:
        """Records created in [start_utc, end_utc), in chain order."""
        return self._select(
            "WHERE created_at >= ? AND created_at < ? ORDER BY seq",
            [utc_text(start_utc), utc_text(end_utc)],
        )

    def export_chain(self) -> list[dict[str, Any]]:
        """Every envelope in seq order: what `station verify` checks offline."""
        rows = self._rows("SELECT seq, envelope FROM records ORDER BY seq")
        return [self._envelope(text, seq) for seq, text in rows]

    @property
    def head_file(self) -> Path | None:
        """The chain head saved beside the bench key (station.journal.head)."""
        return head_path(self.key.path)

    def save_head(self, tip: StoredRecord, *, replace_unreadable: bool = False) -> bool:
        """Save `tip` as the chain head beside the key (see write_head); True when saved."""
        head = ChainHead(self.bench_id, tip.seq, tip.digest)
        saved = write_head(self.head_file, head, replace_unreadable=replace_unreadable)
        if saved:
            self.vouched_head = head
        return saved

    def reseal_head(self, server_head: ChainHead | None = None) -> tuple[ChainHead, bool]:
        """The supervisor's repair of a chain head file found unreadable: check the whole
        chain (signatures, index, not shorter than `server_head` nor than a readable saved
        head), then save its tip as the head. Returns the head and whether it was written
        (False: the saved head already said so). JournalError, nothing written, when the
        check fails or the journal is empty."""
        try:
            read_head(self.head_file)
        except HeadUnreadable:
            unreadable = True
        else:
            unreadable = False
        if self.head_file is None:
            raise JournalError(f"journal {self.path}: this bench key has no folder to keep a head")
        if self.count() == 0:
            self.check_not_shortened(server_head, saved_head=not unreadable)
            raise JournalError(
                f"journal {self.path} holds no record: there is no head to save",
                french=f"le journal {self.path} ne contient aucun enregistrement : "
                "il n'y a pas de tête de chaîne à enregistrer",
            )
        report = self.verify(server_head, saved_head=not unreadable)
        tip = self._one("WHERE seq = ?", [report.last_seq])  # the tip just checked
        if tip is None:  # emptied since
            raise JournalError(f"journal {self.path}: seq {report.last_seq} is gone")
        head = ChainHead(self.bench_id, tip.seq, tip.digest)
        if self.save_head(tip, replace_unreadable=True):
            return head, True
        if read_head(self.head_file) == head:
            return head, False
        raise JournalError(
            f"{self.head_file}: the chain head could not be written (see the log)",
            french=f"{self.head_file} : la tête de chaîne n'a pas pu être écrite (voir le journal "
            "des événements)",
        )

    def verify(
        self, server_head: ChainHead | None = None, *, saved_head: bool = True
    ) -> ChainReport:
        """Check the whole stored chain against this bench's key (ChainError if broken),
        every index column against the signed record it indexes, and that the chain is
        not shorter than the head saved beside the key (unless not `saved_head`), or than
        `server_head` (what the inventory holds of this bench). JournalError names what is
        wrong."""
        self.check_not_shortened(server_head, saved_head=saved_head)
        chain = self.export_chain()
        if not chain:
            raise JournalError(f"journal {self.path} holds no record yet")
        report = verify_chain(chain, {self.key.keyid: self.key.public_key})
        self._check_index(report.bodies)
        return report

    def check_not_shortened(
        self, server_head: ChainHead | None = None, *, saved_head: bool = True
    ) -> None:
        tip = self.tip()
        saved = read_head(self.head_file) if saved_head else None
        for head, where in ((saved, ("the head saved beside the key",
                                     "la tête de chaîne enregistrée à côté de la clé")),
                            (server_head, ("the inventory server",
                                           "le serveur d'inventaire"))):  # fmt: skip
            at = None if head is None else self._one("WHERE seq = ?", [head.seq])
            check_against(
                head, self.bench_id, tip.seq if tip else 0, at.digest if at else None, where
            )

    def _check_index(self, bodies: list[dict[str, Any]]) -> None:
        """The columns the journal is searched by (seq, record_id, kind, created_at,
        digest, bench_id) must say what the signed body says: an edited created_at would silently
        drop a record from the daily log."""
        rows = self._rows(f"SELECT {_COLUMNS}, bench_id FROM records ORDER BY seq")  # noqa: S608
        for row, body in zip(rows, bodies, strict=True):
            seq, record_id, kind, created_at, digest, text, bench_id = row
            envelope = self._envelope(text, seq)
            signed = {
                "seq": body.get("seq"),
                "record_id": body.get("record_id"),
                "kind": body.get("kind"),
                "created_at": utc_text(parse_body(body).created_at),
                "digest": envelope_digest(envelope),
                "bench_id": body.get("bench_id"),
            }
            stored = {"seq": seq, "record_id": record_id, "kind": kind,
                      "created_at": created_at, "digest": digest, "bench_id": bench_id}  # fmt: skip
            for column, value in stored.items():
                if value != signed[column]:
                    raise JournalError(
                        f"journal {self.path}: the {column} column of record seq {signed['seq']}"
                        f" says {value!r}, its signed record {signed[column]!r} (edited index)"
                    )

    def checkpoint(self) -> None:
        """Fold the write-ahead log back into the journal file (wal_checkpoint TRUNCATE).

        In WAL mode new records sit in `journal.sqlite3-wal` until a checkpoint: a copy
        of `journal.sqlite3` alone (the stick read on another PC) would miss them. Run at
        the end of each job and at shutdown. A reader holding an old snapshot makes the
        checkpoint stop short; nothing is lost, the next one finishes it.
        """
        with self._sqlite_errors("checkpoint the write-ahead log"):
            self._db().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def close(self) -> None:
        with self._connections_lock:
            self._closed = True
            for db in self._connections:
                db.close()
            self._connections.clear()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _db(self) -> Database:
        cached: tuple[int, Database] | None = getattr(self._local, "db", None)
        if cached is not None and cached[0] == self._generation:
            return cached[1]
        with self._connections_lock:
            if self._closed:
                raise JournalError(f"journal {self.path} is closed")
            # check_same_thread=False only so close() can close every thread's connection;
            # each connection is still used by the one thread that opened it.
            conn = sqlite3.connect(
                self.path, timeout=self._busy_timeout_ms / 1000, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            db = Database(conn, execute_plugins=False)
            self._connections.append(db)
            self._local.db = (self._generation, db)
        return db

    def _prepare(self, db: Database) -> None:
        db.enable_wal()
        with _immediate_transaction(db):
            journal_migrations.apply(db)
            for name, value in (("bench_id", self.bench_id), ("keyid", self.key.keyid)):
                db.execute(
                    "INSERT OR IGNORE INTO journal_meta (name, value) VALUES (?, ?)", [name, value]
                )
                found = db.execute("SELECT value FROM journal_meta WHERE name = ?", [name])
                owner = found.fetchone()[0]
                if owner != value:
                    raise JournalError(
                        f"journal {self.path} belongs to {name} {owner}, not {value}: "
                        "use that bench's key, or another journal file"
                    )

    def _draft(self, body: dict[str, Any] | StepBody) -> StepBody:
        if isinstance(body, dict):
            data = dict(body)
            data.setdefault("created_at", utc_text(datetime.now(UTC)))
            draft = parse_body(data)
        else:
            draft = body
        for name in ("seq", "prev", "record_id"):
            if getattr(draft, name) is not None:
                raise RecordError(f"{name} is set by the journal: this body looks signed already")
        if draft.bench_id not in (None, self.bench_id):
            raise RecordError(f"bench_id {draft.bench_id!r} is not this bench ({self.bench_id})")
        return draft

    def _seal(self, draft: StepBody, tip: StoredRecord | None) -> StoredRecord:
        fields = body_to_json(draft)
        fields["bench_id"] = self.bench_id
        fields["seq"] = tip.seq + 1 if tip else 1
        fields["prev"] = tip.digest if tip else None
        try:
            envelope = sign_body(fields, self.key.private_key)
        except ValueError as exc:  # a value canonical JSON cannot carry (integer > 2**53)
            raise RecordError(f"{draft.kind} record cannot be signed: {exc}") from exc
        return StoredRecord(
            seq=fields["seq"],
            record_id=compute_record_id(fields),
            kind=draft.kind,
            created_at=utc_text(draft.created_at),
            digest=envelope_digest(envelope),
            envelope=envelope,
        )

    def _insert(self, db: Database, record: StoredRecord) -> None:
        db.execute(
            "INSERT INTO records (seq, record_id, digest, bench_id, kind, created_at, envelope)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                record.seq,
                record.record_id,
                record.digest,
                self.bench_id,
                record.kind,
                record.created_at,
                json.dumps(record.envelope, sort_keys=True, separators=(",", ":")),
            ],
        )
        db.execute(
            "INSERT INTO outbox (record_id, seq) VALUES (?, ?)", [record.record_id, record.seq]
        )

    def _tip(self, db: Database) -> StoredRecord | None:
        row = db.execute(
            f"SELECT {_COLUMNS} FROM records ORDER BY seq DESC LIMIT 1"  # noqa: S608
        ).fetchone()
        return None if row is None else self._record(row, check_digest=True)

    def _one(self, where: str, params: list[Any]) -> StoredRecord | None:
        found = self._select(where, params)
        return found[0] if found else None

    def _select(self, where: str, params: list[Any]) -> list[StoredRecord]:
        rows = self._rows(f"SELECT {_COLUMNS} FROM records {where}", params)  # noqa: S608
        return [self._record(row) for row in rows]

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._sqlite_errors("read"):
            return list(self._db().execute(sql, params or []).fetchall())

    def _record(self, row: tuple[Any, ...], *, check_digest: bool = False) -> StoredRecord:
        seq, record_id, kind, created_at, digest, text = row
        envelope = self._envelope(text, seq)
        # The next record's prev is computed from the envelope itself, never trusted from
        # the digest column: a damaged row must not silently fork the chain.
        if check_digest and envelope_digest(envelope) != digest:
            raise JournalError(f"journal {self.path}: record seq {seq} is damaged (digest)")
        return StoredRecord(seq, record_id, kind, created_at, digest, envelope)

    def _envelope(self, text: str, seq: int) -> dict[str, Any]:
        try:
            envelope = json.loads(text)
        except ValueError as exc:
            raise JournalError(f"journal {self.path}: record seq {seq} is damaged: {exc}") from exc
        if not isinstance(envelope, dict):
            raise JournalError(f"journal {self.path}: record seq {seq} is not an envelope")
        return envelope

    @contextmanager
    def _sqlite_errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path}: cannot {doing}: {exc}") from exc


_COLUMNS = "seq, record_id, kind, created_at, digest, envelope"


@contextmanager
def _immediate_transaction(db: Database) -> Iterator[None]:
    """Like db.atomic(), but BEGIN IMMEDIATE takes the write lock before the chain tip is
    read. With a deferred BEGIN another process could append between our read and our
    insert, and WAL then fails with SQLITE_BUSY_SNAPSHOT, which busy_timeout never retries.
    Writes inside (sqlite-utils helpers, migrations) nest as savepoints."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()
