"""kill -9 at random moments: nothing acknowledged is lost, no half record, chain valid.

A child process appends records in a loop and prints each (seq, record_id) only after
`append` returned: that line is the acknowledgement. The parent kills it with SIGKILL
at varying moments, reopens the journal and checks it. No root needed: a real SQLite
file in tmp_path, a real process, a real signal.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal

CHILD = """
import sys
from pathlib import Path
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body, sample_kinds
from station.journal.store import Journal

folder, label, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
journal = Journal(folder / "journal.sqlite3", load_or_create_bench_key(folder / "keys"))
kinds = sample_kinds()
print("ready", flush=True)
for n in range(count):
    record = journal.append(sample_body(kinds[n % len(kinds)], operator=label))
    print(record.seq, record.record_id, flush=True)
"""


def start_child(folder: Path, label: str, count: int = 1_000_000) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), label, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    return child


def acknowledged(lines: list[str]) -> dict[int, str]:
    """(seq -> record_id) of every complete line; a line cut by the kill is ignored."""
    found = {}
    for line in lines:
        parts = line.split()
        if line.endswith("\n") and len(parts) == 2 and len(parts[1]) == 64:
            found[int(parts[0])] = parts[1]
    return found


def check_journal(folder: Path, acked: dict[int, str]) -> int:
    database = folder / "journal.sqlite3"
    with Journal(database, load_or_create_bench_key(folder / "keys")) as journal:
        report = journal.verify()  # signatures, seq 1..n with no gap, prev links
        for seq, record_id in acked.items():
            stored = journal.get(record_id)
            assert stored is not None and stored.seq == seq, f"acknowledged seq {seq} lost"
        count = journal.count()
        assert journal.pending_count() == count
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        orphans = conn.execute(
            "SELECT (SELECT count(*) FROM records WHERE record_id NOT IN"
            " (SELECT record_id FROM outbox)) + (SELECT count(*) FROM outbox WHERE"
            " record_id NOT IN (SELECT record_id FROM records))"
        ).fetchone()[0]
        assert orphans == 0, "a record without its outbox row, or the reverse"
    assert report.count == count
    return count


def test_kill_9_while_appending_loses_nothing_acknowledged(tmp_path: Path) -> None:
    chooser = random.Random(20261122)  # reproducible "random moments"
    acked: dict[int, str] = {}
    for round_number in range(6):
        child = start_child(tmp_path, f"round-{round_number}")
        assert child.stdout is not None
        lines = [child.stdout.readline() for _ in range(chooser.randint(1, 25))]
        # A short, varying pause so that the kill lands anywhere in the append loop:
        # validating, signing, inside the transaction, or while printing.
        time.sleep(chooser.uniform(0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        lines += child.stdout.readlines()
        child.stdout.close()
        assert child.wait() == -signal.SIGKILL
        newly = acknowledged(lines)
        assert newly, "the child acknowledged nothing before the kill"
        acked.update(newly)
        # The journal may hold one more record than acknowledged (committed, killed
        # before the print), never fewer.
        assert check_journal(tmp_path, acked) >= max(acked)


@pytest.mark.timeout(120)
def test_two_processes_appending_at_once_share_one_chain(tmp_path: Path) -> None:
    load_or_create_bench_key(tmp_path / "keys")
    Journal(tmp_path / "journal.sqlite3", load_or_create_bench_key(tmp_path / "keys")).close()
    children = [start_child(tmp_path, f"proc-{n}", count=40) for n in range(2)]
    acked: dict[int, str] = {}
    for child in children:
        out, _ = child.communicate()
        assert child.returncode == 0
        newly = acknowledged(out.splitlines(keepends=True))
        assert len(newly) == 40
        assert not set(newly) & set(acked), "two processes were given the same seq"
        acked.update(newly)
    assert check_journal(tmp_path, acked) == 80
