"""The SQLite journal: signed appends, the outbox, queries, and refusing bad input."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.domain.record import parse_body
from station.errors import JournalError, RecordError
from station.journal.chain import verify_chain
from station.journal.envelope import envelope_digest
from station.journal.keys import BenchKey, generate_key
from station.journal.migrations import journal_migrations
from station.journal.samples import sample_body
from station.journal.store import Journal


@pytest.fixture
def key() -> BenchKey:
    return generate_key("bench-unit")


@pytest.fixture
def journal(tmp_path: Path, key: BenchKey) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3", key) as opened:
        yield opened


def test_append_signs_and_chains(journal: Journal, key: BenchKey) -> None:
    first = journal.append(sample_body("disk_seen"))
    second = journal.append(parse_body(sample_body("smart_assessment")))
    assert (first.seq, second.seq) == (1, 2)
    assert first.body()["prev"] is None
    assert second.body()["prev"] == envelope_digest(first.envelope) == first.digest
    assert second.body()["bench_id"] == "bench-unit"
    assert second.record_id == second.body()["record_id"]
    report = verify_chain(journal.export_chain(), {key.keyid: key.public_key})
    assert report.last_seq == 2
    assert journal.verify().tip_digest == second.digest


def test_created_at_is_filled_in_when_missing(journal: Journal) -> None:
    body = sample_body("disk_seen")
    del body["created_at"]
    stored = journal.append(body)
    assert stored.body()["created_at"].endswith("Z")


def test_the_outbox_follows_each_record(journal: Journal) -> None:
    records = journal.append_many([sample_body("disk_seen") for _ in range(5)])
    assert journal.pending_count() == 5
    assert [item.seq for item in journal.pending(3)] == [1, 2, 3]
    assert journal.pending(1)[0].envelope == records[0].envelope
    journal.note_failure(records[0].record_id, "connection refused")
    journal.note_failure(records[1].record_id, "HTTP 503")
    assert journal.last_error() == "HTTP 503"
    journal.mark_sent(records[1].record_id)
    journal.mark_sent(records[1].record_id)  # a retry after a lost answer is harmless
    assert journal.last_error() == "connection refused"
    assert [item.seq for item in journal.pending()] == [1, 3, 4, 5]
    for record in records:
        journal.mark_sent(record.record_id)
    assert (journal.pending_count(), journal.pending(), journal.last_error()) == (0, [], None)


def test_mark_sent_many_is_all_or_nothing(journal: Journal) -> None:
    records = journal.append_many([sample_body("disk_seen") for _ in range(4)])
    with pytest.raises(JournalError, match="no outbox entry for record nope"):
        journal.mark_sent_many([records[0].record_id, "nope"])
    assert journal.pending_count() == 4
    journal.mark_sent_many(record.record_id for record in records[:3])
    assert [item.seq for item in journal.pending()] == [4]


def test_outbox_calls_for_unknown_records_fail_loudly(journal: Journal) -> None:
    with pytest.raises(JournalError, match="no outbox entry for record nope"):
        journal.mark_sent("nope")
    with pytest.raises(JournalError, match="no outbox entry for record nope"):
        journal.note_failure("nope", "x")


def test_queries_by_id_and_by_time(journal: Journal) -> None:
    early = journal.append(sample_body("disk_seen", created_at="2026-11-21T23:59:59Z"))
    inside = journal.append(sample_body("disk_seen", created_at="2026-11-22T00:00:00Z"))
    late = journal.append(sample_body("disk_seen", created_at="2026-11-22T23:59:59.5Z"))
    journal.append(sample_body("disk_seen", created_at="2026-11-23T00:00:00Z"))
    day = journal.records_between(
        datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    )
    assert [record.seq for record in day] == [inside.seq, late.seq]
    assert journal.get(early.record_id) == early
    assert journal.get("0" * 64) is None
    assert journal.tip() is not None and journal.count() == 4
    with pytest.raises(JournalError, match="without a timezone"):
        journal.records_between(datetime(2026, 11, 22), datetime(2026, 11, 23))


def test_invalid_bodies_are_refused_and_nothing_is_stored(journal: Journal) -> None:
    journal.append(sample_body("disk_seen"))
    with pytest.raises(RecordError, match="eligible"):
        journal.append_many([sample_body("disk_seen"), sample_body("disk_seen", eligible="x")])
    with pytest.raises(RecordError, match="seq is set by the journal"):
        journal.append(sample_body("disk_seen", seq=7))
    with pytest.raises(RecordError, match="'bench-x' is not this bench"):
        journal.append(sample_body("disk_seen", bench_id="bench-x"))
    assert journal.count() == 1 and journal.pending_count() == 1


def test_record_and_outbox_row_commit_together(journal: Journal, tmp_path: Path) -> None:
    journal.append(sample_body("disk_seen"))
    # Make the outbox insert fail inside the transaction: the record must not stay.
    with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    with pytest.raises(JournalError, match="cannot append a record: full"):
        journal.append(sample_body("disk_seen"))
    assert journal.count() == 1
    with sqlite3.connect(tmp_path / "journal.sqlite3") as conn:
        conn.execute("DROP TRIGGER refuse")
    assert journal.append(sample_body("disk_seen")).seq == 2
    journal.verify()


def test_a_journal_belongs_to_one_bench_key(tmp_path: Path, key: BenchKey) -> None:
    Journal(tmp_path / "j.sqlite3", key).close()
    with pytest.raises(JournalError, match="belongs to keyid"):
        Journal(tmp_path / "j.sqlite3", generate_key("bench-unit")).close()
    with pytest.raises(JournalError, match="belongs to bench_id bench-unit, not bench-2"):
        Journal(tmp_path / "j.sqlite3", key, bench_id="bench-2").close()


def test_a_file_that_is_not_a_database(tmp_path: Path, key: BenchKey) -> None:
    damaged = tmp_path / "journal.sqlite3"
    damaged.write_bytes(b"this is not SQLite" * 400)
    with pytest.raises(
        JournalError, match=r"journal .*journal.sqlite3: cannot open: file is not a database"
    ):
        Journal(damaged, key)


def test_a_closed_journal_says_so(tmp_path: Path, key: BenchKey) -> None:
    journal = Journal(tmp_path / "j.sqlite3", key)
    journal.close()
    errors: list[Exception] = []

    def other_thread() -> None:
        try:
            journal.pending_count()
        except JournalError as exc:
            errors.append(exc)

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert "is closed" in str(errors[0])


def test_settings_of_each_connection(journal: Journal, tmp_path: Path) -> None:
    db = journal._db()
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 15_000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    applied = [migration.name for migration in journal_migrations.applied(db)]
    assert applied == ["create_records_and_outbox"]


def test_four_threads_appending_make_one_valid_chain(journal: Journal) -> None:
    results: dict[int, list[int]] = {}
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            results[number] = [journal.append(sample_body("disk_seen")).seq for _ in range(25)]
        except BaseException as exc:  # surfaced below: a thread must not fail silently
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(seq for seqs in results.values() for seq in seqs) == list(range(1, 101))
    assert all(seqs == sorted(seqs) for seqs in results.values())
    report = journal.verify()
    assert (report.count, report.last_seq) == (100, 100)
    assert journal.pending_count() == 100


def test_a_checkpoint_leaves_every_record_in_the_journal_file_alone(
    tmp_path: Path, journal: Journal
) -> None:
    """What a PC sees when only journal.sqlite3 is copied off the stick (issue 20: it
    was 4096 bytes with every record in the -wal file)."""
    journal.append_many([sample_body("disk_seen") for _ in range(3)])
    copy = tmp_path / "copied-alone.sqlite3"
    copy.write_bytes(journal.path.read_bytes())  # the WAL not copied beside it
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(copy).execute("SELECT count(*) FROM records").fetchone()
    journal.checkpoint()
    copy.write_bytes(journal.path.read_bytes())
    wal = journal.path.with_name(journal.path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM records").fetchone() == (3,)
