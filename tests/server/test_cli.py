"""The command lines: `station enrol`, `station sync`, `station sync --status`, and
`station-inventory serve` as its own process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.server.bench_journal import BenchFiles
from tests.server.conftest import Api
from tests.server.pg_cluster import free_port
from tests.server.server_thread import ServerThread

pytestmark = pytest.mark.server


def station(files: BenchFiles, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "STATION_INVENTORY_URL"}
    environment.update(STATION_DATA_DIR=str(files.key_dir.parent), **env)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from station.cli import main; sys.exit(main())",
         *argv, *files.cli_args()],
        capture_output=True, text=True, timeout=120, env=environment,
    )  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> BenchFiles:
    return BenchFiles(tmp_path / "bench")


def test_enrol_approve_sync_and_status(
    sqlite_server: ServerThread, sqlite_api: Api, files: BenchFiles
) -> None:
    files.fill(12)
    bench_id = files.key.bench_id
    status = station(files, "sync", "--status", "--server", sqlite_server.url)
    assert status.returncode == 0, status.stderr
    assert "pending: 12 of 12" in status.stdout
    assert "not enrolled" in status.stdout

    enrolled = station(files, "enrol", "--server", sqlite_server.url, "--name", "poste 4")
    assert enrolled.returncode == 0, enrolled.stderr
    assert f"bench {bench_id}" in enrolled.stdout and "pending" in enrolled.stdout
    assert f"station-inventory bench approve {bench_id}" in enrolled.stdout

    # The URL from the environment this time.
    refused = station(files, "sync", STATION_INVENTORY_URL=sqlite_server.url)
    assert refused.returncode == 10
    assert "sent 0 record(s)" in refused.stdout and "12 pending" in refused.stdout
    assert "key_not_approved" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    sqlite_api.admin(f"/v1/admin/benches/{bench_id}/approve")
    done = station(files, "sync", "--server", sqlite_server.url)
    assert done.returncode == 0, done.stderr
    assert "sent 12 record(s)" in done.stdout and "; 0 pending" in done.stdout
    status = station(files, "sync", "--status", "--server", sqlite_server.url)
    assert "pending: 0 of 12" in status.stdout
    assert "bench approved, holds up to seq 12" in status.stdout
    assert sqlite_api.record_count() == 12


def test_sync_without_a_server_says_how_to_configure_one(files: BenchFiles) -> None:
    done = station(files, "sync")
    assert done.returncode == 2
    assert "--server URL" in done.stderr and "STATION_INVENTORY_URL" in done.stderr
    status = station(files, "sync", "--status")
    assert status.returncode == 0
    assert "server: not configured" in status.stdout


def test_sync_to_a_server_that_is_down_fails_with_one_line(files: BenchFiles) -> None:
    files.fill(3)
    done = station(files, "sync", "--server", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 10
    assert "unreachable" in done.stderr
    assert "3 pending" in done.stdout
    status = station(files, "sync", "--status", "--server", f"http://127.0.0.1:{free_port()}")
    assert "offline" in status.stdout
    assert "unreachable" in status.stdout  # the last error, kept in the journal


def test_station_inventory_serve_runs_the_server(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "station.inventory.cli", "serve", "--db",
         f"sqlite:///{tmp_path / 'inv.db'}", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != "STATION_INVENTORY_ADMIN_TOKEN"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        spec = requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).json()
        assert "/v1/records" in spec["paths"]
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    assert "admin calls need an admin's sign-in" in err
    assert (tmp_path / "inv.db").exists()
