"""Server tier fixtures: a real inventory server on 127.0.0.1 over a real database.

`db_url` is parametrized over SQLite (a file in tmp_path) and PostgreSQL (a throwaway
cluster from Debian's packages, skipped with the reason when it cannot run here).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from station.inventory.database import Database
from station.inventory.settings import Settings
from station.inventory.users import add_user
from tests.server import pg_cluster
from tests.server.server_thread import ServerThread
from tests.server.signer import BenchSigner

ADMIN_TOKEN = "test-admin-token"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres() -> Iterator[pg_cluster.PgCluster]:
    why = pg_cluster.reason()
    if why:
        pytest.skip(why)
    cluster = pg_cluster.PgCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventory.db'}"
    cluster: pg_cluster.PgCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'inventory.db'}"


def start_server(url: str, **overrides: Any) -> ServerThread:
    return ServerThread(Settings(database_url=url, admin_token=ADMIN_TOKEN, **overrides)).start()


@pytest.fixture
def server(db_url: str) -> Iterator[ServerThread]:
    """The server over SQLite and (when it can run here) PostgreSQL."""
    handle = start_server(db_url)
    yield handle
    handle.stop()


@pytest.fixture
def sqlite_server(sqlite_url: str) -> Iterator[ServerThread]:
    """The server over SQLite only (tests about HTTP, not storage)."""
    handle = start_server(sqlite_url)
    yield handle
    handle.stop()


class Api:
    """requests against the server, with the admin calls a supervisor would make."""

    def __init__(self, url: str, db_url: str | None = None) -> None:
        self.url = url
        self.db_url = db_url
        self.http = requests.Session()

    def sign_in(self, username: str = "claire", role: str = "encadrant") -> requests.Session:
        """A new user of that role (made on the database, as `station-inventory user add`
        does), signed in through the real form: a session holding the cookie."""
        assert self.db_url is not None
        db = Database(self.db_url)
        try:
            add_user(db, username, PASSWORD, role)
        finally:
            db.close()
        session = requests.Session()
        answer = session.post(
            self.url + "/login",
            data={"username": username, "password": PASSWORD, "next": "/daily"},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303, answer.text
        return session

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.post(self.url + path, timeout=30, **kwargs)

    def get(self, path: str, *, anonymous: bool = False, **kwargs: Any) -> requests.Response:
        """A read with the admin token (reads need credentials), unless other headers are
        given or `anonymous`."""
        if not anonymous and "headers" not in kwargs:
            kwargs["headers"] = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return self.http.get(self.url + path, timeout=30, **kwargs)

    def admin(self, path: str) -> requests.Response:
        return self.post(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    def enrol_and_approve(self, bench: BenchSigner) -> None:
        assert self.post("/v1/benches", json=bench.enrolment()).status_code == 201
        answer = self.admin(f"/v1/admin/benches/{bench.bench_id}/approve")
        assert answer.status_code == 200, answer.text

    def record_count(self) -> int:
        return int(self.get("/v1/health").json()["records"])

    def chain(self, bench_id: str) -> list[dict[str, Any]]:
        answer = self.get(f"/v1/benches/{bench_id}/chain")
        assert answer.status_code == 200, answer.text
        envelopes: list[dict[str, Any]] = answer.json()["envelopes"]
        return envelopes


@pytest.fixture
def api(server: ServerThread) -> Api:
    return Api(server.url, server.settings.database_url)


@pytest.fixture
def sqlite_api(sqlite_server: ServerThread) -> Api:
    return Api(sqlite_server.url, sqlite_server.settings.database_url)


@pytest.fixture
def bench() -> BenchSigner:
    return BenchSigner("bench-t1")
