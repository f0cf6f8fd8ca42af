"""The key pool against the real server (SQLite, and PostgreSQL when it can run here):
import, reservations by signed benches racing each other, one assignment per key ever,
return and quarantine, and the CLI of a bench reserving and syncing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from station.domain.record import HostRef, LicenceAssignment, body_to_json
from station.errors import SyncError
from station.imaging.keypool_client import KeyPoolClient
from station.imaging.licence import key_digest
from station.inventory.database import Database
from station.journal.keys import BenchKey, load_or_create_bench_key
from tests.server.conftest import ADMIN_TOKEN, Api
from tests.server.server_thread import ServerThread
from tests.server.signer import BenchSigner

pytestmark = pytest.mark.server
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def keys(count: int, start: int = 0) -> list[str]:
    return [f"K{n:04d}-11111-22222-33333-44444" for n in range(start, start + count)]


def import_csv(api: Api, product_keys: list[str], pool: str = "refurb") -> dict[str, Any]:
    text = "product_key,product\n" + "".join(f"{k},win10-pro\n" for k in product_keys)
    answer = api.post(
        f"/v1/admin/keys/import?pool={pool}&product=win10-pro",
        data=text.encode(),
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def client(api: Api, signer: BenchSigner) -> KeyPoolClient:
    api.enrol_and_approve(signer)
    return KeyPoolClient(api.url, BenchKey(private_key=signer.key, bench_id=signer.bench_id))


def assignment(signer: BenchSigner, digest: str, device: str) -> dict[str, Any]:
    record = LicenceAssignment(
        created_at=datetime.now(UTC),
        operator="op-1",
        host=HostRef(asset_tag=device),
        product="win10-pro",
        pool="refurb",
        licence_sha256=digest,
    )
    body = body_to_json(record)
    body.update(bench_id=signer.bench_id, seq=1, prev=None)
    return signer.seal(body)


def statuses(api: Api) -> dict[str, str]:
    answer = api.get("/v1/admin/keys", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {row["key_sha256"]: row["status"] for row in answer.json()}


def test_import_counts_and_lists_hashes_only(api: Api) -> None:
    result = import_csv(api, [*keys(3), "not-a-key"])
    assert result == {"imported": 3, "already_known": 0, "invalid_lines": [5]}
    assert import_csv(api, keys(4))["already_known"] == 3
    listing = api.get("/v1/admin/keys", headers=ADMIN)
    assert set(statuses(api).values()) == {"available"}
    assert keys(1)[0] not in listing.text and key_digest(keys(1)[0]) in listing.text


def post_csv(api: Api, raw: bytes) -> Any:
    return api.post(
        "/v1/admin/keys/import?pool=refurb&product=win10-pro",
        data=raw,
        headers={**ADMIN, "Content-Type": "text/csv"},
    )


def test_a_french_spreadsheets_csv_is_read(api: Api) -> None:
    """LibreOffice and Excel in French write semicolons, CRLF and a byte-order mark."""
    first, second = keys(2)
    raw = f"\ufeffproduct;product_key\r\nWindows 10 Pro;{first}\r\n;{second}\r\n"
    answer = post_csv(api, raw.encode())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"imported": 2, "already_known": 0, "invalid_lines": []}


def test_an_unreadable_csv_is_a_clear_refusal_not_a_server_error(api: Api) -> None:
    # A stray carriage return inside a field, then a quote left open to the end.
    for raw in (b"product_key\nAB\rCD\n", b'product_key\n"AAAAA-BBBBB\n'):
        answer = post_csv(api, raw)
        assert answer.status_code in (200, 422), (raw, answer.status_code, answer.text)
        if answer.status_code == 200:
            assert answer.json()["imported"] == 0
    broken = post_csv(api, b'product_key\n"' + b"A" * 200_000 + b"\n")
    assert broken.status_code == 422 and broken.json()["error"] == "bad_csv", broken.text


def test_two_benches_racing_never_get_the_same_key(api: Api) -> None:
    import_csv(api, keys(120))
    benches = [client(api, BenchSigner(f"bench-{n}")) for n in range(2)]
    got: dict[int, list[str]] = {0: [], 1: []}
    errors: list[Exception] = []

    def reserve(index: int) -> None:
        try:
            for _ in range(8):
                got[index] += [
                    k
                    for _, k in benches[index].reserve(pool="refurb", product="win10-pro", count=8)
                ]
        except Exception as exc:  # reported below, with the test failing
            errors.append(exc)

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(2) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert not set(got[0]) & set(got[1])
    assert len(got[0]) + len(got[1]) == 120 == len(set(got[0]) | set(got[1]))
    assert benches[0].reserve(pool="refurb", product="win10-pro", count=5) == []


def test_a_key_is_assigned_to_one_device_ever(api: Api, server: ServerThread) -> None:
    import_csv(api, keys(2))
    first, second = BenchSigner("bench-a"), BenchSigner("bench-b")
    bench_a, bench_b = client(api, first), client(api, second)
    [(digest, _)] = bench_a.reserve(pool="refurb", product="win10-pro", count=1)
    envelope = assignment(first, digest, "PC-1")
    assert api.post("/v1/keys/assignments", json=envelope).status_code == 201
    assert api.post("/v1/keys/assignments", json=envelope).status_code == 200  # a retry
    other = api.post("/v1/keys/assignments", json=assignment(first, digest, "PC-2"))
    assert other.status_code == 409 and other.json()["error"] == "key_already_assigned"
    stolen = api.post("/v1/keys/assignments", json=assignment(second, digest, "PC-3"))
    assert stolen.status_code == 409
    assert statuses(api)[digest] == "assigned"
    with pytest.raises(SyncError, match="409"):
        bench_b.release([digest], quarantine=False)
    # The database itself refuses a second assignment row for the key.
    db = Database(server.settings.database_url)
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), db.transaction(write=True) as tx:
        tx.run(
            "INSERT INTO key_assignments (key_sha256, device_id, bench_id, record_id, "
            "assigned_at) VALUES (?, 'PC-9', 'bench-b', ?, 'now')",
            (digest, "f" * 64),
        )
    db.close()


def test_failed_deploy_keys_are_returned_or_quarantined(api: Api) -> None:
    import_csv(api, keys(2))
    bench = client(api, BenchSigner("bench-r"))
    (one, _), (two, _) = bench.reserve(pool="refurb", product="win10-pro", count=2)
    bench.release([one], quarantine=False)
    bench.release([two], quarantine=True)
    assert statuses(api) == {one: "available", two: "quarantined"}
    again = bench.reserve(pool="refurb", product="win10-pro", count=2)
    assert [d for d, _ in again] == [one]


def test_unsigned_or_unknown_bench_is_refused(api: Api) -> None:
    import_csv(api, keys(1))
    stranger = KeyPoolClient(api.url, BenchKey(private_key=BenchSigner().key, bench_id="x"))
    with pytest.raises(SyncError, match="403"):
        stranger.reserve(pool="refurb", product="win10-pro", count=1)
    assert api.post("/v1/keys/reserve", json={"hello": 1}).status_code == 422


def station(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_bench_cli_reserves_lists_and_syncs(sqlite_api: Api, tmp_path: Path) -> None:
    import_csv(sqlite_api, keys(3))
    data = tmp_path / "data"
    env = {**os.environ, "STATION_DATA_DIR": str(data), "STATION_INVENTORY_URL": sqlite_api.url}
    key = load_or_create_bench_key(data / "keys")
    signer = BenchSigner(key.bench_id, key.private_key)
    sqlite_api.enrol_and_approve(signer)
    done = station(
        "keys", "reserve", "--pool", "refurb", "--product", "win10-pro", "--count", "2", env=env
    )
    assert done.returncode == 0, done.stderr
    listing = station("keys", "list", "--json", env=env)
    held = json.loads(listing.stdout)
    assert [k["status"] for k in held] == ["reserved", "reserved"]
    assert not any(k in listing.stdout for k in keys(3))
    from station.imaging.keystore import KeyStore

    store = KeyStore(data / "licence-keys.sqlite3")
    store.failed(held[0]["key_sha256"], quarantine=True)
    store.close()
    synced = station("keys", "sync", env=env)
    assert synced.returncode == 0, synced.stderr
    assert statuses(sqlite_api)[held[0]["key_sha256"]] == "quarantined"
