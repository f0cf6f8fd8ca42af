"""Offline chain verification: every way a chain can be broken is named precisely."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from station.domain.record import STEP_KINDS
from station.errors import ChainError, RecordError, SignatureError
from station.journal.chain import decode_payload, verify_chain, verify_record
from station.journal.envelope import (
    PAYLOAD_TYPE,
    canonical,
    compute_record_id,
    envelope_digest,
    open_envelope,
    pae,
    sign_body,
)
from station.journal.keys import BenchKey, generate_key
from station.journal.samples import sample_body

Chain = list[dict[str, Any]]


def seal(key: BenchKey, seq: int, prev: str | None, **overrides: Any) -> dict[str, Any]:
    kind = STEP_KINDS[(seq - 1) % len(STEP_KINDS)]
    fields = {"bench_id": key.bench_id, "seq": seq, "prev": prev} | overrides
    body = sample_body(kind, **fields)
    return sign_body(body, key.private_key)


def make_chain(key: BenchKey, length: int) -> Chain:
    chain: Chain = []
    for seq in range(1, length + 1):
        chain.append(seal(key, seq, envelope_digest(chain[-1]) if chain else None))
    return chain


def rewrite_payload(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What a forger without the key can do: change the payload, keep the signature."""
    body = decode_payload(envelope) | changes
    return envelope | {"payload": base64.b64encode(canonical(body)).decode()}


@pytest.fixture
def key() -> BenchKey:
    return generate_key("bench-test")


@pytest.fixture
def keys(key: BenchKey) -> dict[str, Any]:
    return {key.keyid: key.public_key}


def test_a_valid_chain_is_reported(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 14)  # more than one of every kind
    report = verify_chain(chain, keys)
    assert (report.bench_id, report.count, report.first_seq, report.last_seq) == (
        "bench-test",
        14,
        1,
        14,
    )
    assert report.tip_digest == envelope_digest(chain[-1])
    assert report.keyids == {key.keyid}
    assert [body["seq"] for body in report.bodies] == list(range(1, 15))


def test_a_field_changed_after_signing(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 3)
    chain[1] = rewrite_payload(chain[1], operator="someone-else")
    with pytest.raises(SignatureError, match=r"^altered field \(record_id mismatch\) at seq 2$"):
        verify_chain(chain, keys)


def test_a_changed_field_with_a_recomputed_record_id(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 3)
    body = decode_payload(chain[2]) | {"operator": "someone-else"}
    chain[2] = rewrite_payload(chain[2], operator="someone-else", record_id=compute_record_id(body))
    with pytest.raises(SignatureError, match=r"^bad signature at seq 3 "):
        verify_chain(chain, keys)


def test_a_damaged_signature(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 2)
    signature = bytearray(base64.b64decode(chain[0]["signatures"][0]["sig"]))
    signature[0] ^= 1
    chain[0]["signatures"][0]["sig"] = base64.b64encode(bytes(signature)).decode()
    with pytest.raises(SignatureError, match=r"^bad signature at seq 1 "):
        verify_chain(chain, keys)


def test_a_dropped_record_is_a_gap(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 5)
    del chain[2]
    with pytest.raises(ChainError, match=r"^gap: expected seq 3, found 4$"):
        verify_chain(chain, keys)


def test_a_chain_that_does_not_start_at_one(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 5)
    with pytest.raises(ChainError, match=r"^gap: expected seq 1, found 3$"):
        verify_chain(chain[2:], keys)
    report = verify_chain(chain[2:], keys, from_start=False)
    assert (report.first_seq, report.last_seq) == (3, 5)


def test_swapped_records_are_out_of_order(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 4)
    chain[1], chain[2] = chain[2], chain[1]
    with pytest.raises(ChainError, match=r"^out of order: seq 3 comes before seq 2$"):
        verify_chain(chain, keys)


def test_two_records_with_one_seq_are_a_fork(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 3)
    other_branch = seal(key, 3, envelope_digest(chain[1]), operator="op-fork")
    with pytest.raises(ChainError, match=r"^fork at seq 3$"):
        verify_chain([*chain, other_branch], keys)


def test_the_same_record_twice_is_a_duplicate(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 3)
    with pytest.raises(ChainError, match=r"^duplicate record at seq 2$"):
        verify_chain([*chain[:2], chain[1], chain[2]], keys)


def test_a_replaced_record_breaks_the_next_link(key: BenchKey, keys: dict[str, Any]) -> None:
    # The key holder re-signs seq 2 with other content: seq 2 itself is valid, seq 3 is not.
    chain = make_chain(key, 3)
    chain[1] = seal(key, 2, envelope_digest(chain[0]), operator="op-rewritten")
    with pytest.raises(ChainError, match=r"^broken link at seq 3: prev is not the digest of seq 2"):
        verify_chain(chain, keys)


def test_a_first_record_with_a_prev(key: BenchKey, keys: dict[str, Any]) -> None:
    with pytest.raises(ChainError, match=r"^broken link at seq 1"):
        verify_chain([seal(key, 1, "a" * 64)], keys)


def test_records_of_another_bench(key: BenchKey, keys: dict[str, Any]) -> None:
    chain = make_chain(key, 2)
    chain.append(seal(key, 3, envelope_digest(chain[1]), bench_id="bench-other"))
    with pytest.raises(ChainError, match=r"^another bench at seq 3: 'bench-other'"):
        verify_chain(chain, keys)


def test_a_record_signed_by_a_key_not_given(key: BenchKey) -> None:
    stranger = generate_key("bench-test")
    chain = make_chain(key, 2)
    with pytest.raises(SignatureError, match=r"^unknown key at seq 1: signed by "):
        verify_chain(chain, {stranger.keyid: stranger.public_key})


def test_a_signature_swapped_for_another_keys(key: BenchKey, keys: dict[str, Any]) -> None:
    # Claims to be by the bench key, but the signature was made by another key.
    stranger = generate_key()
    chain = make_chain(key, 2)
    forged = sign_body({k: v for k, v in decode_payload(chain[1]).items()}, stranger.private_key)
    chain[1]["signatures"][0]["sig"] = forged["signatures"][0]["sig"]
    with pytest.raises(SignatureError, match=r"^bad signature at seq 2 "):
        verify_chain(chain, keys)


def test_a_signed_body_that_breaks_the_schema(key: BenchKey, keys: dict[str, Any]) -> None:
    body = sample_body("disk_seen", bench_id="bench-test", seq=1, prev=None, eligible="maybe")
    envelope = sign_body(body, key.private_key)
    with pytest.raises(RecordError, match=r"eligible: Input should be a valid boolean.* at seq 1"):
        verify_record(envelope, keys)
    assert verify_record(envelope, keys, check_schema=False)["eligible"] == "maybe"


def test_malformed_envelopes_are_refused(keys: dict[str, Any]) -> None:
    with pytest.raises(SignatureError, match="malformed envelope"):
        verify_record({"payloadType": "x", "payload": "%%%", "signatures": []}, keys)
    with pytest.raises(SignatureError, match="an envelope is a JSON object"):
        verify_record([1], keys)
    payload = base64.b64encode(json.dumps({"seq": 1}).encode()).decode()
    with pytest.raises(SignatureError, match="unsigned record at seq 1"):
        verify_record({"payloadType": "x", "payload": payload, "signatures": []}, keys)
    with pytest.raises(ChainError, match="the chain is empty"):
        verify_chain([], keys)


@pytest.mark.parametrize(
    ("envelope", "message"),
    [
        (["not", "an", "object"], "not a JSON object"),
        ({"payloadType": PAYLOAD_TYPE, "payload": "e30=", "signatures": "abc"}, "list of objects"),
        ({"payloadType": PAYLOAD_TYPE, "payload": "e30=", "signatures": [1]}, "list of objects"),
    ],
)
def test_open_envelope_turns_any_bad_shape_into_a_signature_error(
    envelope: Any, message: str, keys: dict[str, Any]
) -> None:
    # The server passes request bodies straight to open_envelope: no AttributeError may escape.
    with pytest.raises(SignatureError, match=message):
        open_envelope(envelope, keys)


def test_a_payload_outside_canonical_json_is_refused(key: BenchKey, keys: dict[str, Any]) -> None:
    payload = b'{"seq":1,"x":NaN}'
    signature = key.private_key.sign(pae(PAYLOAD_TYPE, payload))
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [{"keyid": key.keyid, "sig": base64.b64encode(signature).decode()}],
    }
    with pytest.raises(SignatureError, match="cannot be canonicalized"):
        open_envelope(envelope, keys)
    with pytest.raises(SignatureError, match="malformed record at seq 1"):
        verify_record(envelope, keys)
