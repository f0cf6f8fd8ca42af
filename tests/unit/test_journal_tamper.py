"""Journal edits `journal check` must notice (issue 16, item 11): an index column that no
longer says what the signed record says, and a chain that got shorter (its newest
records deleted), which nothing inside the SQLite file can show."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from station.errors import JournalError
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal


@pytest.fixture
def journal_files(tmp_path: Path) -> tuple[Path, Path]:
    """A journal of 5 records whose key lives in a key folder, as on a bench."""
    key_dir, path = tmp_path / "keys", tmp_path / "journal.sqlite3"
    with Journal(path, load_or_create_bench_key(key_dir)) as journal:
        for _ in range(5):
            journal.append(sample_body("disk_seen"))
    return key_dir, path


def edit(path: Path, sql: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute(sql)


def check(key_dir: Path, path: Path, lang: str = "C") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", "journal", "--journal", str(path),
         "--key-dir", str(key_dir), "check"],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "LANG": lang},
    )  # fmt: skip


def test_an_intact_journal_passes(journal_files: tuple[Path, Path]) -> None:
    done = check(*journal_files)
    assert done.returncode == 0, done.stderr
    assert "valid chain: 5 records" in done.stdout
    # On a French bench (the stick's tty2), the same line in French.
    french = check(*journal_files, lang="fr_FR.UTF-8")
    assert french.returncode == 0, french.stderr
    assert "chaîne valide : 5 enregistrements" in french.stdout, french.stdout


@pytest.mark.parametrize(
    "column, value",
    [("created_at", "2001-01-01T00:00:00.000000Z"), ("kind", "self_test"),
     ("record_id", "f" * 64), ("bench_id", "bench-other")],
)  # fmt: skip
def test_an_edited_index_column_is_named(
    journal_files: tuple[Path, Path], column: str, value: str
) -> None:
    key_dir, path = journal_files
    edit(path, f"UPDATE records SET {column} = '{value}' WHERE seq = 3")
    done = check(key_dir, path)
    assert done.returncode != 0
    assert f"the {column} column of record seq 3" in done.stderr, done.stderr


def test_deleting_the_last_unsynced_record_is_noticed(journal_files: tuple[Path, Path]) -> None:
    key_dir, path = journal_files
    edit(path, "DELETE FROM outbox WHERE seq = 5")
    edit(path, "DELETE FROM records WHERE seq = 5")
    done = check(key_dir, path)
    assert done.returncode != 0
    assert "ends at seq 4" in done.stderr and "up to seq 5" in done.stderr, done.stderr


def test_emptying_the_journal_is_noticed(journal_files: tuple[Path, Path]) -> None:
    key_dir, path = journal_files
    edit(path, "DELETE FROM outbox")
    edit(path, "DELETE FROM records")
    done = check(key_dir, path)
    assert done.returncode != 0 and "records were deleted" in done.stderr


def test_replacing_the_last_record_is_noticed(journal_files: tuple[Path, Path]) -> None:
    """Delete seq 5 and sign a new seq 5 with the bench key: a valid chain, not the one
    the bench wrote."""
    key_dir, path = journal_files
    edit(path, "DELETE FROM outbox WHERE seq = 5")
    edit(path, "DELETE FROM records WHERE seq = 5")
    with Journal(path, load_or_create_bench_key(key_dir)) as journal:
        journal._insert(journal._db(), journal._seal(journal._draft(sample_body("self_test")),
                                                     journal.tip()))  # fmt: skip
    done = check(key_dir, path)
    assert done.returncode != 0 and "not the one this bench wrote" in done.stderr


def test_verify_reports_the_index_problem_as_a_journal_error(
    journal_files: tuple[Path, Path],
) -> None:
    key_dir, path = journal_files
    edit(path, "UPDATE records SET created_at = '2001-01-01T00:00:00.000000Z' WHERE seq = 2")
    with (
        Journal(path, load_or_create_bench_key(key_dir)) as journal,
        pytest.raises(JournalError, match="edited index"),
    ):
        journal.verify()


def station(key_dir: Path, path: Path, *action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", "journal", "--journal", str(path),
         "--key-dir", str(key_dir), *action],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "STATION_LANG": "fr"},
    )  # fmt: skip


def test_an_unreadable_head_is_named_in_french_and_only_the_supervisor_reseals_it(
    journal_files: tuple[Path, Path],
) -> None:
    """A head file emptied (a stick pulled mid-write) is not silently replaced by the next
    record: it may be the only sign that the journal lost records too. `journal check`
    says what to do; `journal reseal-head` checks the journal, then saves its tip."""
    key_dir, path = journal_files
    head = key_dir / "chain-head.json"
    head.write_bytes(b"")
    with Journal(path, load_or_create_bench_key(key_dir)) as journal:
        stored = journal.append(sample_body("disk_seen"))  # recorded, not an error
    assert stored.seq == 6 and head.read_bytes() == b"", "an append replaced it"
    done = station(key_dir, path, "check")
    assert done.returncode == JournalError.exit_code, done.stderr
    assert "la tête de chaîne enregistrée est illisible" in done.stderr, done.stderr
    assert "« station journal reseal-head »" in done.stderr, done.stderr

    done = station(key_dir, path, "reseal-head")
    assert done.returncode == 0, done.stderr
    assert "nouvelle tête de chaîne enregistrée : n° 6" in done.stdout, done.stdout
    assert "relancez avec --server URL" in done.stdout, done.stdout
    assert station(key_dir, path, "check").returncode == 0
    again = station(key_dir, path, "reseal-head")
    assert "dit déjà n° 6 : rien à changer" in again.stdout, again.stdout
    # The new head does its job.
    edit(path, "DELETE FROM outbox WHERE seq = 6")
    edit(path, "DELETE FROM records WHERE seq = 6")
    assert "records were deleted" in check(key_dir, path).stderr


def test_reseal_head_writes_nothing_when_the_journal_does_not_check(
    journal_files: tuple[Path, Path],
) -> None:
    key_dir, path = journal_files
    head = key_dir / "chain-head.json"
    head.write_text("{", encoding="utf-8")
    edit(path, "UPDATE records SET kind = 'self_test' WHERE seq = 2")
    done = station(key_dir, path, "reseal-head")
    assert done.returncode != 0 and "edited index" in done.stderr, done.stderr
    assert head.read_text(encoding="utf-8") == "{"
