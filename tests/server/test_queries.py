"""Queries: records by id and by envelope hash, disks, devices, daily logs, chain export."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.journal.chain import verify_chain
from station.journal.envelope import envelope_digest
from tests.server.conftest import Api
from tests.server.signer import BenchSigner, record_id_of

pytestmark = pytest.mark.server

OTHER_DISK = {"serial": "S3Z9NB0K000002", "model": "Samsung SSD 860", "size_bytes": 250 << 30}


@pytest.fixture
def stored(api: Api, bench: BenchSigner) -> list[dict[str, object]]:
    api.enrol_and_approve(bench)
    chain = [
        bench.next("disk_seen", created_at="2026-11-21T23:30:00Z"),
        bench.next("smart_assessment", created_at="2026-11-22T08:00:00Z"),
        bench.next("disk_seen", created_at="2026-11-22T09:00:00Z", disk=OTHER_DISK),
        bench.next("image_deploy", created_at="2026-11-22T10:00:00Z"),
        bench.next("licence_assignment", created_at="2026-11-23T00:30:00Z"),
    ]
    answer = api.post("/v1/records/batch", json={"envelopes": chain})
    assert answer.status_code == 200, answer.text
    return chain


def test_a_record_by_id_and_by_envelope_hash(api: Api, stored: list[dict[str, object]]) -> None:
    envelope = stored[1]
    by_id = api.get(f"/v1/records/{record_id_of(envelope)}").json()
    by_hash = api.get(f"/v1/envelopes/{envelope_digest(envelope)}").json()
    assert by_id == by_hash
    assert by_id["envelope"] == envelope
    assert by_id["kind"] == "smart_assessment"
    assert by_id["seq"] == 2
    missing = api.get(f"/v1/envelopes/{'a' * 64}")
    assert (missing.status_code, missing.json()["error"]) == (404, "unknown_record")


def test_disks_and_their_history(api: Api, stored: list[dict[str, object]]) -> None:
    disks = {d["id"]: d for d in api.get("/v1/disks").json()}
    assert disks["WD-WCC4N0000001"]["records"] == 3
    assert disks[OTHER_DISK["serial"]]["records"] == 1
    history = api.get("/v1/disks/WD-WCC4N0000001").json()["records"]
    assert [r["kind"] for r in history] == ["disk_seen", "smart_assessment", "image_deploy"]
    assert api.get("/v1/disks/NO-SUCH-DISK").status_code == 404


def test_devices_and_their_history(api: Api, stored: list[dict[str, object]]) -> None:
    assert [d["id"] for d in api.get("/v1/devices").json()] == ["PF0ABCDE"]
    history = api.get("/v1/devices/PF0ABCDE").json()["records"]
    assert [r["kind"] for r in history] == ["image_deploy", "licence_assignment"]


def test_a_daily_log_in_utc_and_in_a_local_zone(
    api: Api, bench: BenchSigner, stored: list[dict[str, object]]
) -> None:
    path = f"/v1/benches/{bench.bench_id}/log"
    utc = api.get(path, params={"date": "2026-11-22"}).json()
    assert [r["seq"] for r in utc["records"]] == [2, 3, 4]
    # 23:30Z on the 21st is 00:30 on the 22nd in Paris; 00:30Z on the 23rd is 01:30 there.
    paris = api.get(path, params={"date": "2026-11-22", "tz": "Europe/Paris"}).json()
    assert [r["seq"] for r in paris["records"]] == [1, 2, 3, 4]
    assert api.get(path, params={"date": "2026-12-01"}).json()["records"] == []


def test_the_exported_chain_verifies_offline(
    api: Api, bench: BenchSigner, stored: list[dict[str, object]]
) -> None:
    export = api.get(f"/v1/benches/{bench.bench_id}/chain").json()
    assert export["envelopes"] == stored
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(export["public_key"]))
    report = verify_chain(export["envelopes"], {export["key_id"]: key})
    assert report.last_seq == 5
    tail = api.get(f"/v1/benches/{bench.bench_id}/chain", params={"after_seq": 3}).json()
    assert tail["envelopes"] == stored[3:]
    assert api.get("/v1/benches/bench-nobody/chain").status_code == 404


def test_station_verify_accepts_the_export_and_catches_tampering(
    api: Api, bench: BenchSigner, stored: list[dict[str, object]], tmp_path: Path
) -> None:
    export = api.get(f"/v1/benches/{bench.bench_id}/chain").json()
    key = tmp_path / "bench.pub.pem"
    key.write_text(export["public_key_pem"])

    def verify(envelopes: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
        chain = tmp_path / "chain.json"
        chain.write_text(json.dumps(envelopes))
        return subprocess.run(
            [sys.executable, "-c", "import sys; from station.cli import main; sys.exit(main())",
             "verify", str(chain), "--key", str(key)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    good = verify(export["envelopes"])
    assert good.returncode == 0, good.stderr
    assert "valid chain: 5 records" in good.stdout
    body = json.loads(base64.b64decode(export["envelopes"][2]["payload"]))
    body["disk"]["serial"] = "SWAPPED"
    tampered = [dict(e) for e in export["envelopes"]]
    tampered[2]["payload"] = base64.b64encode(json.dumps(body).encode()).decode()
    bad = verify(tampered)
    assert bad.returncode == 8
    assert "seq 3" in bad.stderr
