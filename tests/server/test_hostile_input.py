"""Hostile clients (issue 16): nested JSON, huge CSV uploads, enrolment of a key one
does not hold, replayed signed requests, and two benches racing for keys on PostgreSQL.
Each test failed before its fix (see the commit messages)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import requests

from station.inventory.database import Database
from station.inventory.settings import Settings
from station.journal.envelope import sign_body
from tests.server.conftest import ADMIN_TOKEN, Api
from tests.server.server_thread import ServerThread
from tests.server.signer import BenchSigner
from tests.server.test_keypool import client, import_csv, keys, statuses

pytestmark = pytest.mark.server
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# Each JSON route and its body limit (a nested body must fit under it to reach the parser).
JSON_ROUTES = {
    "/v1/records": 256 * 1024,
    "/v1/records/batch": 16 << 20,
    "/v1/benches": 16 * 1024,
    "/v1/keys/reserve": 64 * 1024,
    "/v1/keys/assignments": 64 * 1024,
    "/v1/keys/release": 256 * 1024,
    "/login": 4096,
}


@pytest.mark.parametrize("route", sorted(JSON_ROUTES))
@pytest.mark.parametrize("deep", [True, False])
def test_deeply_nested_json_is_refused_on_every_json_route(
    sqlite_api: Api, route: str, deep: bool
) -> None:
    # Deep: up to 100,000 levels, which exhaust the parser's recursion (a 500 before the
    # fix). Not so deep: 200 levels parse, but no Station document nests like that.
    depth = min(100_000, JSON_ROUTES[route] // 2) if deep else 200
    body = b"[" * depth + b"]" * depth
    answer = sqlite_api.post(route, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "malformed_json"
    assert sqlite_api.record_count() == 0


class BytesRead:
    """ASGI middleware counting the body bytes the application pulled from the server."""

    def __init__(self, app: Any, counter: dict[str, int]) -> None:
        self.app, self.counter = app, counter

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counted() -> Any:
            message = await receive()
            if message.get("type") == "http.request":
                self.counter["read"] += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def test_a_huge_csv_upload_is_refused_while_streaming(sqlite_url: str) -> None:
    """The application stops reading at its 8 MiB limit; before the fix it read the
    whole 96 MiB into memory first (a 400 MB upload took the server to 905 MB)."""
    counter = {"read": 0}
    server = ServerThread(
        Settings(database_url=sqlite_url, admin_token=ADMIN_TOKEN),
        prepare=lambda app: app.add_middleware(BytesRead, counter=counter),
    ).start()
    chunk = b"K0000-11111-22222-33333-44444,win10-pro\n" * 26_000  # ~1 MiB

    def body() -> Iterator[bytes]:
        yield b"product_key,product\n"
        for _ in range(96):
            yield chunk

    try:
        answer = requests.post(
            f"{server.url}/v1/admin/keys/import?pool=p&product=win10-pro",
            data=body(),
            headers={**ADMIN, "Content-Type": "text/csv"},
            timeout=120,
        )
        assert answer.status_code == 413, answer.text[:200]
        assert answer.json()["error"] == "too_large"
        assert counter["read"] < 12 * 1024 * 1024, f"the server read {counter['read']} bytes"
        assert statuses(Api(server.url)) == {}
    finally:
        server.stop()


def test_an_enrolment_must_be_signed_by_the_key_it_presents(sqlite_api: Api) -> None:
    victim, attacker = BenchSigner("bench-real"), BenchSigner("bench-squat")
    # The attacker presents the victim's public key, signed with their own key.
    stolen = attacker.enrolment("squatter", public_key=victim.public_key_b64)
    answer = sqlite_api.post("/v1/benches", json=stolen)
    assert (answer.status_code, answer.json()["error"]) == (403, "no_proof_of_possession")
    # The unsigned form of before is refused too.
    plain = {"bench_id": "bench-squat", "name": "x", "public_key": victim.public_key_b64}
    answer = sqlite_api.post("/v1/benches", json=plain)
    assert answer.status_code == 422 and answer.json()["error"] == "bad_envelope"
    # The real bench enrols its key as usual.
    assert sqlite_api.post("/v1/benches", json=victim.enrolment()).status_code == 201


def test_an_old_enrolment_cannot_be_replayed(sqlite_api: Api, bench: BenchSigner) -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    answer = sqlite_api.post("/v1/benches", json=bench.enrolment(created_at=old.isoformat()))
    assert (answer.status_code, answer.json()["error"]) == (422, "stale_request")


def test_pending_enrolments_expire(sqlite_api: Api) -> None:
    squatter = BenchSigner("bench-7")
    assert sqlite_api.post("/v1/benches", json=squatter.enrolment()).status_code == 201
    real = BenchSigner("bench-7")
    taken = sqlite_api.post("/v1/benches", json=real.enrolment())
    assert (taken.status_code, taken.json()["error"]) == (409, "bench_key_mismatch")
    # Eight days later nobody approved the squatter: the name is free again.
    db = Database(str(sqlite_api.db_url))
    with db.transaction(write=True) as tx:
        long_ago = (datetime.now(UTC) - timedelta(days=8)).isoformat(timespec="seconds")
        tx.run("UPDATE benches SET enrolled_at = ? WHERE bench_id = 'bench-7'", (long_ago,))
    db.close()
    assert sqlite_api.get("/v1/admin/benches").json() == []
    again = sqlite_api.post("/v1/benches", json=real.enrolment())
    assert again.status_code == 201 and again.json()["key_id"] == real.keyid


def signed(signer: BenchSigner, kind: str, **fields: Any) -> dict[str, Any]:
    body = {"kind": kind, "bench_id": signer.bench_id, "created_at": datetime.now(UTC).isoformat()}
    return sign_body({**body, **fields}, signer.key)


def test_a_replayed_reservation_returns_the_first_answer(api: Api) -> None:
    import_csv(api, keys(6))
    signer = BenchSigner("bench-rp")
    client(api, signer)
    captured = signed(signer, "key_reservation", pool="refurb", product="win10-pro", count=2)
    first = api.post("/v1/keys/reserve", json=captured)
    assert first.status_code == 200, first.text
    for _ in range(3):
        replay = api.post("/v1/keys/reserve", json=captured)
        assert replay.status_code == 200 and replay.json() == first.json()
    assert sorted(statuses(api).values()).count("reserved") == 2
    # A release replayed after the keys were reserved again does not free them twice.
    digests = [k["key_sha256"] for k in first.json()["keys"]]
    release = signed(signer, "key_release", keys=digests, action="return")
    assert api.post("/v1/keys/release", json=release).json() == {"status": "released", "count": 2}
    again = api.post("/v1/keys/reserve", json=signed(
        signer, "key_reservation", pool="refurb", product="win10-pro", count=6))  # fmt: skip
    assert len(again.json()["keys"]) == 6
    assert api.post("/v1/keys/release", json=release).json()["count"] == 2
    assert set(statuses(api).values()) == {"reserved"}


@pytest.mark.postgres
def test_postgres_reservation_takes_what_is_left_while_another_bench_reserves(
    postgres: Any, tmp_path: Any
) -> None:
    """Bench A holds 20 of 30 keys in an open transaction; bench B asks for 20 and gets
    the 10 others at once (SKIP LOCKED). Before the fix B waited for A's rows and then
    found them taken: 0 keys while 10 remained."""
    url = postgres.new_database()
    server = ServerThread(Settings(database_url=url, admin_token=ADMIN_TOKEN)).start()
    try:
        api = Api(server.url, url)
        import_csv(api, keys(30))
        bench_b = client(api, BenchSigner("bench-b"))
        client(api, BenchSigner("bench-a"))
        holder = psycopg.connect(url)  # a transaction, as bench A's reservation is mid-way
        holder.execute(
            "UPDATE licence_keys SET status = 'reserved', bench_id = 'bench-a' WHERE key_sha256 "
            "IN (SELECT key_sha256 FROM licence_keys ORDER BY imported_at, key_sha256 LIMIT 20)"
        )
        got: list[list[tuple[str, str]]] = []
        worker = threading.Thread(
            target=lambda: got.append(bench_b.reserve(pool="refurb", product="win10-pro", count=20))
        )
        worker.start()
        watcher = psycopg.connect(url, autocommit=True)
        while worker.is_alive():  # until B is done or waits on A's row locks
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                break
            worker.join(0.05)
        holder.commit()
        worker.join(60)
        holder.close()
        watcher.close()
        assert got and len(got[0]) == 10
        assert sorted(statuses(api).values()).count("reserved") == 30
    finally:
        server.stop()


def test_stale_signed_requests_are_refused(sqlite_api: Api) -> None:
    signer = BenchSigner("bench-st")
    client(sqlite_api, signer)
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    envelope = sign_body(
        {"kind": "key_reservation", "bench_id": signer.bench_id, "created_at": old,
         "pool": "refurb", "product": "win10-pro", "count": 1},
        signer.key,
    )  # fmt: skip
    answer = sqlite_api.post("/v1/keys/reserve", json=envelope)
    assert (answer.status_code, answer.json()["error"]) == (422, "stale_request")
    assert json.loads(answer.text)["detail"]
