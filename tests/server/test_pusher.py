"""The pusher against a real server: outages, refusals, lost answers, kill -9."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from station.inventory.settings import Settings
from station.journal.samples import sample_body
from station.sync.backoff import Backoff
from station.sync.client import InventoryClient
from station.sync.pusher import Pusher
from station.sync.state import SyncSnapshot
from station.tui.i18n import language, set_language
from station.tui.widgets import sync_text
from tests.server.bench_journal import BenchFiles
from tests.server.conftest import ADMIN_TOKEN, Api, start_server
from tests.server.server_thread import ServerThread

pytestmark = pytest.mark.server
FAST = (0.5, 10.0)


def sync_text_in(lang: str, snapshot: SyncSnapshot) -> str:
    """The bench screen's sync badge for `snapshot`, as a `lang` bench shows it."""
    before = language()
    set_language(lang)
    try:
        return sync_text(snapshot)
    finally:
        set_language(before)


def wait_until(condition: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    """Wait for a state, failing (not asserting a time) if it never comes."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def files(tmp_path: Path) -> BenchFiles:
    return BenchFiles(tmp_path / "bench")


@pytest.fixture
def enrolled(sqlite_server: ServerThread, sqlite_api: Api, files: BenchFiles) -> Api:
    assert sqlite_api.post("/v1/benches", json=files.enrolment()).status_code == 201
    sqlite_api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve")
    return sqlite_api


def test_records_queued_while_the_server_is_down_drain_in_order_when_it_is_back(
    sqlite_server: ServerThread, enrolled: Api, files: BenchFiles
) -> None:
    files.fill(300)
    sqlite_server.stop()
    with files.open() as journal:
        pusher = Pusher(
            journal,
            InventoryClient(sqlite_server.url, timeout=FAST),
            batch_size=40,
            backoff=Backoff(initial=0.05, maximum=0.3),
            idle_recheck_s=3600,  # so that only wake() can send the later records
        )
        pusher.start()
        try:
            wait_until(lambda: pusher.state.snapshot().online is False, "the pusher to fail")
            down = pusher.state.snapshot()
            assert down.last_error and "unreachable" in down.last_error
            # A French bench's badge says it in French, never the English line.
            badge = sync_text_in("fr", down)
            assert f"pas de réponse de {sqlite_server.url}" in badge, badge
            assert "unreachable" not in badge
            assert down.pending == 300 and journal.pending_count() == 300
            assert journal.last_error() is not None
            sqlite_server.restart()
            wait_until(lambda: journal.pending_count() == 0, "the outbox to drain")
            # New records leave when the pusher is woken, not at its next idle recheck.
            journal.append_many([sample_body("disk_seen")] * 3)
            pusher.wake()
            wait_until(lambda: journal.pending_count() == 0, "the woken pusher to send")
        finally:
            assert pusher.stop()
        up = pusher.state.snapshot()
        assert (up.online, up.last_error, up.pending, up.sent) == (True, None, 0, 303)
        assert up.last_success is not None
        assert enrolled.chain(files.key.bench_id) == journal.export_chain()


class _Answer500(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"boom")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer500)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_server_answering_500_marks_nothing_sent(files: BenchFiles, broken_server: str) -> None:
    files.fill(5)
    with files.open() as journal:
        pusher = Pusher(journal, InventoryClient(broken_server, timeout=FAST))
        summary = pusher.drain_once()
        assert summary.sent == 0
        assert summary.error is not None and "500" in summary.error
        assert journal.pending_count() == 5
        assert "500" in (journal.last_error() or "")
        assert "indisponible (erreur 500)" in sync_text_in("fr", pusher.state.snapshot())


def test_a_refused_record_stays_pending_with_the_reason(
    enrolled: Api, files: BenchFiles, sqlite_server: ServerThread
) -> None:
    files.fill(3)
    enrolled.admin(f"/v1/admin/benches/{files.key.bench_id}/revoke")
    with files.open() as journal:
        pusher = Pusher(journal, InventoryClient(sqlite_server.url, timeout=FAST))
        summary = pusher.drain_once()
        assert (summary.sent, summary.pending) == (0, 3)
        assert summary.error is not None and "key_revoked" in summary.error
        assert pusher.state.snapshot().online is True
        assert "key_revoked" in (journal.last_error() or "")
        badge = sync_text_in("fr", pusher.state.snapshot())
        assert "dernière erreur : clé du poste révoquée : prévenez l'encadrant" in badge, badge
        assert sync_text_in("en", pusher.state.snapshot()).count("key_revoked") == 1
    assert enrolled.record_count() == 0


def test_records_the_server_got_without_the_bench_knowing_are_not_duplicated(
    enrolled: Api, files: BenchFiles, sqlite_server: ServerThread
) -> None:
    files.fill(10)
    with files.open() as journal:
        client = InventoryClient(sqlite_server.url, timeout=FAST)
        for item in journal.pending(4):  # delivered, but the answers were "lost"
            client.push(item)
        summary = Pusher(journal, client, batch_size=3).drain_once()
        assert (summary.sent, summary.duplicates, summary.pending) == (10, 4, 0)
        assert enrolled.chain(files.key.bench_id) == journal.export_chain()


def _sync(files: BenchFiles, url: str, batch: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from station.cli import main; sys.exit(main())",
            "sync",
            "--server",
            url,
            "--batch",
            str(batch),
            *files.cli_args(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "STATION_DATA_DIR": str(files.key_dir.parent)},
    )


@pytest.mark.parametrize("batch, total", [(1, 400), (25, 1500)])
def test_a_pusher_killed_mid_drain_and_restarted_leaves_exactly_the_chain(
    enrolled: Api, files: BenchFiles, sqlite_server: ServerThread, batch: int, total: int
) -> None:
    files.fill(total)
    first = _sync(files, sqlite_server.url, batch)
    try:
        wait_until(
            lambda: enrolled.record_count() >= 30 or first.poll() is not None,
            "the first records to arrive",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = enrolled.record_count()
    assert first.returncode == -signal.SIGKILL
    assert 0 < at_kill < total, "the drain finished before the kill: nothing was tested"
    second = _sync(files, sqlite_server.url, batch)
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "; 0 pending" in out
    with files.open() as journal:
        chain = journal.export_chain()
        assert journal.pending_count() == 0
    served = enrolled.chain(files.key.bench_id)
    assert len(served) == total
    assert served == chain  # same records, same order: no duplicate, no gap


def _without_batch_endpoint(app: FastAPI) -> None:
    """Make the real server look like an inventory that only has POST /v1/records."""

    @app.middleware("http")
    async def no_batches(request: Request, call_next: Any) -> Any:
        if request.url.path == "/v1/records/batch":
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return await call_next(request)


def test_an_inventory_without_the_batch_endpoint_gets_records_one_by_one(
    sqlite_url: str, files: BenchFiles
) -> None:
    settings = Settings(database_url=sqlite_url, admin_token=ADMIN_TOKEN)
    server = ServerThread(settings, prepare=_without_batch_endpoint).start()
    try:
        api = Api(server.url)
        assert api.post("/v1/records/batch", json={"envelopes": [{}]}).status_code == 404
        api.post("/v1/benches", json=files.enrolment())
        api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve")
        files.fill(30)
        with files.open() as journal:
            summary = Pusher(
                journal, InventoryClient(server.url, timeout=FAST), batch_size=8
            ).drain_once()
            assert (summary.sent, summary.pending, summary.error) == (30, 0, None)
            assert api.chain(files.key.bench_id) == journal.export_chain()
    finally:
        server.stop()


def test_records_a_restored_server_lost_are_sent_again_from_the_journal(
    tmp_path: Path, files: BenchFiles
) -> None:
    files.fill(20)
    first = start_server(f"sqlite:///{tmp_path / 'before.db'}")
    try:
        api = Api(first.url)
        api.post("/v1/benches", json=files.enrolment())
        api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve")
        with files.open() as journal:
            assert Pusher(journal, InventoryClient(first.url)).drain_once().sent == 20
    finally:
        first.stop()
    files.fill(5)
    # The inventory comes back from a backup that predates every record (enrolment kept).
    restored = start_server(f"sqlite:///{tmp_path / 'restored.db'}")
    try:
        api = Api(restored.url)
        api.post("/v1/benches", json=files.enrolment())
        api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve")
        with files.open() as journal:
            summary = Pusher(journal, InventoryClient(restored.url), batch_size=7).drain_once()
            assert (summary.resent, summary.sent, summary.pending) == (20, 5, 0)
            assert summary.error is None
            assert api.chain(files.key.bench_id) == journal.export_chain()
    finally:
        restored.stop()


def test_a_bench_not_yet_approved_is_told_so_in_french(
    sqlite_api: Api, files: BenchFiles, sqlite_server: ServerThread
) -> None:
    files.fill(2)
    assert sqlite_api.post("/v1/benches", json=files.enrolment()).status_code == 201
    with files.open() as journal:
        pusher = Pusher(journal, InventoryClient(sqlite_server.url, timeout=FAST))
        assert pusher.drain_once().sent == 0
        badge = sync_text_in("fr", pusher.state.snapshot())
    assert "poste pas encore approuvé : l'encadrant doit l'approuver" in badge, badge


def test_a_classroom_laptop_is_not_said_done_while_its_records_wait(
    sqlite_server: ServerThread, sqlite_api: Api, files: BenchFiles
) -> None:
    """`station classroom-laptop` after the deploy (records_left_fr): seen in the live VM
    test with the laptop's key left unapproved on the server, tty1 said « peut être
    éteint » while its only record waited in RAM, refused. Now the records are pushed once
    more and, still waiting, the laptop says so in French (and exits non-zero)."""
    from station.sync.classroom_join import records_left_fr

    assert sqlite_api.post("/v1/benches", json=files.enrolment()).status_code == 201
    files.fill(2)
    with files.open() as journal:
        client = InventoryClient(sqlite_server.url, timeout=FAST)
        said = records_left_fr(journal, client)
        assert said is not None and said.startswith("2 enregistrement(s) signé(s)"), said
        assert "key_not_approved" in said and "ne l'éteignez pas" in said, said
        sqlite_api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve")
        assert records_left_fr(journal, client) is None  # pushed once more: all there
        assert journal.pending_count() == 0
        assert records_left_fr(journal, client) is None  # nothing waits: no request
    assert sqlite_api.record_count() == 2
