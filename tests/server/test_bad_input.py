"""Bad HTTP input: each gets a 4xx with a reason, and nothing is stored."""

from __future__ import annotations

import json

import pytest
import requests

from station.inventory.settings import Settings
from tests.server.conftest import Api, start_server
from tests.server.server_thread import ServerThread
from tests.server.signer import BenchSigner

pytestmark = pytest.mark.server


@pytest.fixture
def approved(sqlite_api: Api, bench: BenchSigner) -> BenchSigner:
    sqlite_api.enrol_and_approve(bench)
    return bench


def assert_refused(answer: requests.Response, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert answer.json()["detail"]


def test_malformed_json(sqlite_api: Api, approved: BenchSigner) -> None:
    answer = sqlite_api.post(
        "/v1/records", data=b'{"payloadType": ', headers={"Content-Type": "application/json"}
    )
    assert_refused(answer, 400, "malformed_json")
    assert sqlite_api.record_count() == 0


def test_duplicate_keys_in_the_json(sqlite_api: Api, approved: BenchSigner) -> None:
    envelope = json.dumps(approved.next())
    doubled = envelope[:-1] + ', "payload": "e30="}'
    answer = sqlite_api.post(
        "/v1/records", data=doubled, headers={"Content-Type": "application/json"}
    )
    assert_refused(answer, 400, "malformed_json")
    assert sqlite_api.record_count() == 0


def test_wrong_content_type(sqlite_api: Api, approved: BenchSigner) -> None:
    answer = sqlite_api.post(
        "/v1/records", data=json.dumps(approved.next()), headers={"Content-Type": "text/plain"}
    )
    assert_refused(answer, 415, "unsupported_media_type")
    assert sqlite_api.record_count() == 0


def test_an_oversized_body(sqlite_url: str, bench: BenchSigner) -> None:
    server = start_server(sqlite_url, max_record_bytes=1024)
    try:
        api = Api(server.url)
        api.enrol_and_approve(bench)
        envelope = bench.next("smart_assessment")
        assert len(json.dumps(envelope)) > 1024
        assert_refused(api.post("/v1/records", json=envelope), 413, "too_large")

        def chunks():  # no Content-Length: the limit is enforced while reading
            data = json.dumps(envelope).encode()
            for start in range(0, len(data), 512):
                yield data[start : start + 512]

        answer = api.post(
            "/v1/records", data=chunks(), headers={"Content-Type": "application/json"}
        )
        assert_refused(answer, 413, "too_large")
        assert api.record_count() == 0
    finally:
        server.stop()


@pytest.mark.parametrize("envelope, field", [
    ([], "envelope"),
    ({"payload": "e30=", "signatures": [{"keyid": "k", "sig": "s"}]}, "payloadType"),
    ({"payloadType": "x", "payload": "e30=", "signatures": []}, "signatures"),
    ({"payloadType": "x", "payload": 3, "signatures": [{"keyid": "k", "sig": "s"}]}, "payload"),
    ({"payloadType": "x", "payload": "e30=", "signatures": [{"keyid": "k"}]}, "signatures.0"),
    ({"payloadType": "x", "payload": "e30=", "signatures": [{"keyid": "k", "sig": "s"}],
      "extra": 1}, "extra"),
])  # fmt: skip
def test_envelopes_of_the_wrong_shape_name_the_field(
    sqlite_api: Api, envelope: object, field: str
) -> None:
    answer = sqlite_api.post("/v1/records", json=envelope)
    assert_refused(answer, 422, "bad_envelope")
    assert answer.json()["field"] == field
    assert sqlite_api.record_count() == 0


def test_a_batch_of_the_wrong_shape(sqlite_api: Api) -> None:
    data: object
    for data in ({}, {"envelopes": []}, {"envelopes": {}}, [], {"envelopes": [{}], "x": 1}):
        assert_refused(sqlite_api.post("/v1/records/batch", json=data), 422, "bad_batch")


def test_a_batch_over_the_record_limit(sqlite_url: str, bench: BenchSigner) -> None:
    server = start_server(sqlite_url, max_batch_records=2)
    try:
        api = Api(server.url)
        api.enrol_and_approve(bench)
        answer = api.post("/v1/records/batch", json={"envelopes": bench.chain(3)})
        assert_refused(answer, 413, "too_many")
        assert api.record_count() == 0
    finally:
        server.stop()


def test_admin_endpoints_need_the_token(sqlite_api: Api, bench: BenchSigner) -> None:
    assert sqlite_api.post("/v1/benches", json=bench.enrolment()).status_code == 201
    path = f"/v1/admin/benches/{bench.bench_id}/approve"
    missing = sqlite_api.post(path)
    assert_refused(missing, 401, "missing_token")
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert_refused(
        sqlite_api.post(path, headers={"Authorization": "Bearer nope"}), 403, "bad_token"
    )
    assert_refused(sqlite_api.get("/v1/admin/benches", anonymous=True), 401, "missing_token")
    assert sqlite_api.get(f"/v1/benches/{bench.bench_id}").json()["status"] == "pending"
    assert_refused(
        sqlite_api.get(f"/v1/benches/{bench.bench_id}", anonymous=True), 401, "sign_in_required"
    )


def test_without_a_configured_token_the_admin_api_is_off(
    sqlite_url: str, bench: BenchSigner
) -> None:
    server = ServerThread(Settings(database_url=sqlite_url)).start()
    try:
        api = Api(server.url)
        api.post("/v1/benches", json=bench.enrolment())
        answer = api.post(
            f"/v1/admin/benches/{bench.bench_id}/approve",
            headers={"Authorization": "Bearer anything"},
        )
        assert_refused(answer, 403, "admin_disabled")
    finally:
        server.stop()


def test_bad_query_parameters_get_a_reason(sqlite_api: Api, approved: BenchSigner) -> None:
    assert_refused(sqlite_api.get("/v1/records/not-a-hash"), 422, "invalid_parameter")
    log = f"/v1/benches/{approved.bench_id}/log"
    assert_refused(sqlite_api.get(log, params={"date": "yesterday"}), 422, "invalid_parameter")
    assert_refused(
        sqlite_api.get(log, params={"date": "2026-11-22", "tz": "Mars/Olympus"}),
        422,
        "bad_timezone",
    )
    assert_refused(sqlite_api.get("/v1/nothing-here"), 404, "not_found")
