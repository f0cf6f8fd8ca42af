"""A bench notices its own chain got shorter through the server's view too (issue 16,
item 11): records already synced, then deleted from the journal together with the head
file beside the key, are still missed by `station journal check --server URL`."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from station.journal.head import HEAD_FILE
from station.sync.client import InventoryClient
from station.sync.pusher import Pusher
from tests.server.bench_journal import BenchFiles
from tests.server.conftest import Api

pytestmark = pytest.mark.server


def test_records_deleted_after_sync_are_noticed_through_the_server(
    sqlite_api: Api, tmp_path: Path
) -> None:
    files = BenchFiles(tmp_path)
    files.fill(6)
    assert sqlite_api.post("/v1/benches", json=files.enrolment()).status_code == 201
    assert sqlite_api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve").ok
    with files.open() as journal:
        client = InventoryClient(sqlite_api.url, key=journal.key.private_key)
        assert Pusher(journal, client).drain_once().sent == 6
        client.close()
    # Someone with the stick deletes the last two records and the head beside the key.
    with sqlite3.connect(files.journal_path) as db:
        db.execute("DELETE FROM outbox WHERE seq >= 5")
        db.execute("DELETE FROM records WHERE seq >= 5")
    (files.key_dir / HEAD_FILE).unlink()

    def check(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "station", "journal", *files_args(files), "check", *extra],
            capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"},
        )  # fmt: skip

    assert check().returncode == 0  # locally, a valid 4-record chain
    done = check("--server", sqlite_api.url)
    assert done.returncode != 0
    assert "the inventory server" in done.stderr and "up to seq 6" in done.stderr, done.stderr


def files_args(files: BenchFiles) -> list[str]:
    return ["--journal", str(files.journal_path), "--key-dir", str(files.key_dir)]
