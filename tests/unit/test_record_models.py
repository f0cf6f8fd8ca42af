"""Step record models: every kind validates, bad input is refused naming the field."""

from __future__ import annotations

import json

import pytest

from station.domain.record import STEP_KINDS, OverwritePass, body_to_json, parse_body
from station.domain.results import Result
from station.errors import RecordError
from station.journal.samples import sample_body, sample_kinds


def test_samples_cover_every_kind() -> None:
    assert sample_kinds() == list(STEP_KINDS)


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_kind_parses_and_round_trips_through_json(kind: str) -> None:
    body = parse_body(sample_body(kind))
    assert body.kind == kind
    as_json = json.loads(json.dumps(body_to_json(body)))
    assert parse_body(as_json) == body
    assert "record_id" not in as_json


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(RecordError, match=r"invalid disk_seen record: colour: Extra inputs"):
        parse_body(sample_body("disk_seen", colour="blue"))


def test_a_nested_field_is_named_with_its_path() -> None:
    disk = {"serial": "S", "size_bytes": -1}
    with pytest.raises(RecordError, match=r"disk\.size_bytes: Input should be greater"):
        parse_body(sample_body("self_test", disk=disk))


def test_an_unknown_or_missing_kind_names_the_kind_field() -> None:
    with pytest.raises(RecordError, match=r"kind: 'erase' is not a step kind"):
        parse_body({"kind": "erase"})
    with pytest.raises(RecordError, match=r"kind: None is not a step kind"):
        parse_body({"operator": "op"})
    with pytest.raises(RecordError, match="is a JSON object, not list"):
        parse_body([1, 2])


def test_times_must_be_utc() -> None:
    with pytest.raises(RecordError, match=r"created_at: expected a UTC time"):
        parse_body(sample_body("disk_seen", created_at="2026-11-22T10:00:00+01:00"))
    with pytest.raises(RecordError, match=r"created_at: expected a UTC time"):
        parse_body(sample_body("disk_seen", created_at="2026-11-22T10:00:00"))


def test_operator_must_be_pseudonymous() -> None:
    for personal in ("jeanne.dupont@example.org", "Jeanne Dupont"):
        with pytest.raises(RecordError, match=r"operator: String should match pattern"):
            parse_body(sample_body("disk_seen", operator=personal))


def test_a_purge_that_did_not_complete_cannot_claim_success() -> None:
    unfinished = sample_body("purge_command", completed=False, result="purged")
    with pytest.raises(RecordError, match="not supported or not completed has result 'failed'"):
        parse_body(unfinished)
    body = parse_body(sample_body("purge_command", completed=False, result="failed"))
    assert body.kind == "purge_command" and body.result is Result.FAILED


def test_overwrite_pass_keeps_what_verification_needs() -> None:
    with pytest.raises(RecordError, match="a 'random' pass records its key_hex"):
        parse_body(sample_body("overwrite_pass", key_hex=None))
    with pytest.raises(RecordError, match="a completed pass wrote bytes_total bytes"):
        parse_body(sample_body("overwrite_pass", bytes_written=10))
    resumed = parse_body(
        sample_body(
            "overwrite_pass",
            resumed=True,
            completed=False,
            bytes_written=10,
            bad_ranges=[{"offset": 4096, "length": 512}],
        )
    )
    assert isinstance(resumed, OverwritePass)
    assert resumed.bad_ranges[0].offset == 4096


def test_sampled_verification_records_its_seed_and_mismatches_fail() -> None:
    with pytest.raises(RecordError, match="records its seed"):
        parse_body(sample_body("verification", seed_hex=None))
    mismatch = [{"offset": 0, "length": 4096}]
    with pytest.raises(RecordError, match="with mismatches has result 'failed'"):
        parse_body(sample_body("verification", mismatched_ranges=mismatch))


def test_command_evidence_keeps_failures_and_checks_digests() -> None:
    timed_out = sample_body("self_test")
    timed_out["commands"][0].update(exit_code=None, timed_out=True)
    assert parse_body(timed_out).commands[0].timed_out  # type: ignore[union-attr]
    bad_digest = sample_body("self_test")
    bad_digest["commands"][0]["stdout_sha256"] = "abc"
    with pytest.raises(RecordError, match=r"commands\.0\.stdout_sha256"):
        parse_body(bad_digest)
    backwards = sample_body("self_test")
    backwards["commands"][0]["ended_at"] = "2026-11-22T08:00:00Z"
    with pytest.raises(RecordError, match="ended_at is before started_at"):
        parse_body(backwards)


def test_sealed_bodies_must_carry_their_chain_fields() -> None:
    body = sample_body("disk_seen", bench_id="bench-1", seq=2, record_id="0" * 64)
    with pytest.raises(RecordError, match="a signed record needs prev"):
        parse_body(body, sealed=True)
    with pytest.raises(RecordError, match="needs bench_id, seq, record_id"):
        parse_body(sample_body("disk_seen"), sealed=True)
    body["prev"] = "1" * 64
    assert parse_body(body, sealed=True).seq == 2


def test_a_seed_that_is_not_hex_is_refused_before_signing() -> None:
    with pytest.raises(RecordError, match=r"seed_hex: String should match pattern"):
        parse_body(sample_body("verification", seed_hex="not-hex"))
