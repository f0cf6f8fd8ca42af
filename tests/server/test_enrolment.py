"""Bench enrolment: a bench presents its key, a supervisor approves or revokes it
(admin API with the token, or `station-inventory bench` on the database)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.server.conftest import ADMIN_TOKEN, Api
from tests.server.signer import BenchSigner

pytestmark = pytest.mark.server


def test_enrol_then_approve_then_revoke(api: Api, bench: BenchSigner) -> None:
    created = api.post("/v1/benches", json=bench.enrolment("atelier 3"))
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    assert created.json()["key_id"] == bench.keyid
    again = api.post("/v1/benches", json=bench.enrolment())
    assert (again.status_code, again.json()["status"]) == (200, "pending")
    approved = api.admin(f"/v1/admin/benches/{bench.bench_id}/approve")
    assert approved.json()["status"] == "approved"
    listed = api.get("/v1/admin/benches", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert [(b["bench_id"], b["status"]) for b in listed.json()] == [(bench.bench_id, "approved")]
    assert api.admin(f"/v1/admin/benches/{bench.bench_id}/revoke").json()["status"] == "revoked"


def test_another_key_for_an_enrolled_bench_is_refused(api: Api, bench: BenchSigner) -> None:
    api.post("/v1/benches", json=bench.enrolment())
    impostor = BenchSigner(bench.bench_id)
    answer = api.post("/v1/benches", json=impostor.enrolment())
    assert (answer.status_code, answer.json()["error"]) == (409, "bench_key_mismatch")
    reused = BenchSigner("bench-t2", key=bench.key)
    answer = api.post("/v1/benches", json=reused.enrolment())
    assert (answer.status_code, answer.json()["error"]) == (409, "key_in_use")


@pytest.mark.parametrize("change, field", [
    ({"public_key": "not base64!"}, "public_key"),
    ({"public_key": "AAAA"}, "public_key"),
    ({"bench_id": "no spaces allowed"}, "bench_id"),
    ({"name": ""}, "name"),
])  # fmt: skip
def test_bad_enrolments_name_the_field(
    sqlite_api: Api, bench: BenchSigner, change: dict[str, str], field: str
) -> None:
    answer = sqlite_api.post("/v1/benches", json=bench.enrolment(**change))  # signed as sent
    assert answer.status_code == 422
    assert answer.json()["error"] in ("bad_public_key", "bad_enrolment")  # not the envelope
    assert answer.json()["field"] == field
    assert sqlite_api.get(f"/v1/benches/{bench.bench_id}").status_code == 404


def test_approving_an_unknown_bench_is_a_404(sqlite_api: Api) -> None:
    answer = sqlite_api.admin("/v1/admin/benches/bench-nobody/approve")
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_bench")


def test_the_supervisor_cli_approves_and_revokes(
    sqlite_url: str, bench: BenchSigner, sqlite_api: Api
) -> None:
    sqlite_api.post("/v1/benches", json=bench.enrolment())

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from station.inventory.cli import main; sys.exit(main())",
                "bench",
                *argv,
                "--db",
                sqlite_url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = cli("approve", bench.bench_id)
    assert done.returncode == 0, done.stderr
    assert "approved" in done.stdout
    assert sqlite_api.post("/v1/records", json=bench.next()).status_code == 201
    listed = cli("list")
    assert bench.bench_id in listed.stdout and "approved" in listed.stdout
    assert cli("revoke", bench.bench_id).returncode == 0
    assert sqlite_api.post("/v1/records", json=bench.next()).status_code == 403
    unknown = cli("approve", "bench-nobody")
    assert unknown.returncode != 0
    assert "no bench 'bench-nobody'" in unknown.stderr
