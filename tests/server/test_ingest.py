"""Ingest over SQLite and PostgreSQL: chains stored, every refusal a 4xx storing nothing."""

from __future__ import annotations

import base64
import json

import pytest

from station.journal.envelope import envelope_digest
from tests.server.conftest import Api
from tests.server.signer import BenchSigner, record_id_of

pytestmark = pytest.mark.server


@pytest.fixture
def approved(api: Api, bench: BenchSigner) -> BenchSigner:
    api.enrol_and_approve(bench)
    return bench


def post(api: Api, envelope: dict[str, object], **headers: str):  # type: ignore[no-untyped-def]
    return api.post("/v1/records", json=envelope, headers=headers)


def test_a_chain_is_stored_in_order_and_exported_as_sent(api: Api, approved: BenchSigner) -> None:
    sent = approved.chain(5)
    for envelope in sent:
        answer = post(api, envelope, **{"Idempotency-Key": record_id_of(envelope)})
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "stored"
    assert api.chain(approved.bench_id) == sent
    assert api.get(f"/v1/benches/{approved.bench_id}").json()["last_seq"] == 5


def test_a_retried_record_answers_success_and_is_stored_once(
    api: Api, approved: BenchSigner
) -> None:
    envelope = approved.next()
    key = {"Idempotency-Key": record_id_of(envelope)}
    assert post(api, envelope, **key).status_code == 201
    again = post(api, envelope, **key)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert api.record_count() == 1


def test_an_idempotency_key_that_is_not_the_record_id_is_refused(
    api: Api, approved: BenchSigner
) -> None:
    envelope = approved.next()
    answer = post(api, envelope, **{"Idempotency-Key": "0" * 64})
    assert answer.status_code == 422
    assert answer.json()["error"] == "idempotency_key_mismatch"
    assert api.record_count() == 0


def test_a_gap_is_refused_with_the_expected_seq(api: Api, approved: BenchSigner) -> None:
    first, _skipped, third = approved.chain(3)
    assert post(api, first).status_code == 201
    answer = post(api, third)
    assert answer.status_code == 409
    assert answer.json()["error"] == "gap"
    assert answer.json()["expected_seq"] == 2
    assert api.record_count() == 1


def test_a_first_record_other_than_seq_1_is_a_gap(api: Api, approved: BenchSigner) -> None:
    approved.next()
    answer = post(api, approved.next())
    assert answer.status_code == 409
    assert answer.json()["expected_seq"] == 1


def test_a_fork_at_a_stored_seq_is_refused(api: Api, approved: BenchSigner) -> None:
    first, second = approved.chain(2)
    for envelope in (first, second):
        assert post(api, envelope).status_code == 201
    # A different, validly signed record claiming seq 2 after the same seq 1: a fork.
    other = approved.seal(approved.body("self_test", seq=2, prev=envelope_digest(first)))
    answer = post(api, other)
    assert answer.status_code == 409
    assert answer.json()["error"] == "fork"
    assert answer.json()["expected_seq"] == 3
    assert api.chain(approved.bench_id) == [first, second]


def test_a_wrong_prev_is_a_fork(api: Api, approved: BenchSigner) -> None:
    assert post(api, approved.next()).status_code == 201
    wrong = approved.seal(approved.body(prev="f" * 64))
    answer = post(api, wrong)
    assert answer.status_code == 409
    assert answer.json()["error"] == "fork"
    assert answer.json()["expected_seq"] == 2
    assert answer.json()["expected_prev"] is not None
    assert api.record_count() == 1


def test_a_tampered_payload_is_refused(api: Api, approved: BenchSigner) -> None:
    envelope = approved.next()
    body = json.loads(base64.b64decode(envelope["payload"]))
    body["disk"]["serial"] = "SOMEONE-ELSES-DISK"
    tampered = {**envelope, "payload": base64.b64encode(json.dumps(body).encode()).decode()}
    answer = post(api, tampered)
    assert answer.status_code == 422
    assert answer.json()["error"] == "bad_signature"
    assert api.record_count() == 0


def test_a_replay_with_an_altered_body_is_refused(api: Api, approved: BenchSigner) -> None:
    envelope = approved.next()
    assert post(api, envelope).status_code == 201
    body = json.loads(base64.b64decode(envelope["payload"]))
    body["eligible"] = False  # same record_id, same signature, different body
    altered = {**envelope, "payload": base64.b64encode(json.dumps(body).encode()).decode()}
    answer = post(api, altered)
    assert answer.status_code in (409, 422)
    assert api.record_count() == 1
    stored = api.get(f"/v1/records/{record_id_of(envelope)}").json()
    assert stored["body"]["eligible"] is True


def test_a_forged_signature_is_refused(api: Api, approved: BenchSigner) -> None:
    forger = BenchSigner(approved.bench_id)  # another key, claiming the approved keyid
    forged = forger.seal(approved.body())
    forged["signatures"][0]["keyid"] = approved.keyid
    answer = post(api, forged)
    assert answer.status_code == 422
    assert answer.json()["error"] == "bad_signature"
    assert api.record_count() == 0


def test_records_from_unknown_pending_or_revoked_keys_are_refused(
    api: Api, bench: BenchSigner
) -> None:
    envelope = bench.next()
    assert post(api, envelope).json()["error"] == "unknown_key"
    assert api.post("/v1/benches", json=bench.enrolment()).status_code == 201
    pending = post(api, envelope)
    assert (pending.status_code, pending.json()["error"]) == (403, "key_not_approved")
    api.admin(f"/v1/admin/benches/{bench.bench_id}/approve")
    assert post(api, envelope).status_code == 201
    api.admin(f"/v1/admin/benches/{bench.bench_id}/revoke")
    revoked = post(api, bench.next())
    assert (revoked.status_code, revoked.json()["error"]) == (403, "key_revoked")
    assert api.record_count() == 1


def test_a_record_signed_for_another_bench_is_refused(api: Api, approved: BenchSigner) -> None:
    body = approved.body()
    body["bench_id"] = "bench-someone-else"
    answer = post(api, approved.seal(body))
    assert answer.status_code == 403
    assert answer.json()["error"] == "bench_mismatch"
    assert api.record_count() == 0


def test_a_body_that_breaks_the_schema_names_the_field(api: Api, approved: BenchSigner) -> None:
    body = approved.body()
    del body["eligible"]
    answer = post(api, approved.seal(body))
    assert answer.status_code == 422
    assert answer.json()["error"] == "schema"
    assert answer.json()["field"] == "eligible"
    assert api.record_count() == 0


def test_a_batch_is_stored_all_or_nothing(api: Api, approved: BenchSigner) -> None:
    good = approved.chain(3)
    bad = approved.seal(approved.body(prev="0" * 64))
    answer = api.post("/v1/records/batch", json={"envelopes": [*good, bad]})
    assert answer.status_code == 409
    assert answer.json()["index"] == 3
    assert answer.json()["expected_seq"] == 4
    assert api.record_count() == 0
    answer = api.post("/v1/records/batch", json={"envelopes": good})
    assert answer.status_code == 200
    assert answer.json()["stored"] == 3
    tail = approved.next()
    again = api.post("/v1/records/batch", json={"envelopes": [*good, tail]})
    assert (again.json()["duplicates"], again.json()["stored"]) == (3, 1)
    assert api.chain(approved.bench_id) == [*good, tail]
