"""Offline verification of signed records and of a bench's hash chain.

Anyone holding the envelopes and the bench public key can check, without the journal
or the server: each signature, each record_id, that `seq` runs 1, 2, 3 … with no gap,
that each `prev` is the digest of the envelope before it, that nothing is forked
(two different records with one seq) or reordered, and that every record is one bench's.
Errors say exactly what is wrong and where ("gap: expected seq 4, found 5").
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.domain.record import parse_body
from station.errors import ChainError, RecordError, SignatureError
from station.journal.envelope import compute_record_id, envelope_digest, open_envelope


@dataclass(frozen=True)
class ChainReport:
    bench_id: str
    count: int
    first_seq: int
    last_seq: int
    tip_digest: str
    keyids: frozenset[str]
    bodies: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)


def decode_payload(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The body an envelope claims to carry, NOT verified: only for locating errors."""
    try:
        body = json.loads(base64.b64decode(str(envelope["payload"]), validate=True))
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise SignatureError(f"malformed envelope: {exc}") from exc
    if not isinstance(body, dict):
        raise SignatureError("malformed envelope: the payload is not a JSON object")
    return body


def verify_record(
    envelope: Any,
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    where: str | None = None,
    check_schema: bool = True,
) -> dict[str, Any]:
    """One envelope's signature, record_id and schema; returns the verified body."""
    if not isinstance(envelope, Mapping):
        raise SignatureError(f"{where or 'record'}: an envelope is a JSON object")
    try:
        claimed = decode_payload(envelope)
    except RecordError as exc:  # an altered payload may not even decode
        raise SignatureError(f"{exc.one_line()} ({where or 'record'}: payload altered)") from exc
    at = where or f"at seq {claimed.get('seq', '?')}"
    keyids = [str(entry.get("keyid", "")) for entry in _signatures(envelope, at)]
    if not any(keyid in public_keys for keyid in keyids):
        shown = ", ".join(keyid[:16] + "…" for keyid in keyids)
        raise SignatureError(f"unknown key {at}: signed by {shown}, not by a key given")
    try:
        recomputed = compute_record_id(claimed)
    except ValueError as exc:  # not representable in canonical JSON (NaN, huge integers)
        raise SignatureError(f"malformed record {at}: {exc}") from exc
    if claimed.get("record_id") != recomputed:
        raise SignatureError(f"altered field (record_id mismatch) {at}")
    try:
        body = open_envelope(envelope, public_keys)
    except SignatureError as exc:
        raise SignatureError(f"bad signature {at} ({exc.one_line()})") from exc
    if check_schema:
        try:
            parse_body(body, sealed=True)
        except RecordError as exc:
            raise RecordError(f"{exc.one_line()} {at}") from exc
    return body


def verify_chain(
    envelopes: Sequence[Any],
    public_keys: Mapping[str, Ed25519PublicKey],
    *,
    from_start: bool = True,
    check_schema: bool = True,
) -> ChainReport:
    """A bench's chain, in the order given. `from_start=False` accepts a contiguous run
    that starts after seq 1 (a day's export), whose first `prev` cannot be checked."""
    if not envelopes:
        raise ChainError("the chain is empty")
    claimed_seqs = [_claimed_seq(envelope) for envelope in envelopes]
    seen: dict[int, str] = {}
    bodies: list[dict[str, Any]] = []
    bench_id = ""
    previous_digest: str | None = None
    expected = 1 if from_start else None
    for index, envelope in enumerate(envelopes):
        body = verify_record(envelope, public_keys, check_schema=check_schema)
        seq, record_id = body.get("seq"), str(body.get("record_id"))
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise ChainError(f"record {index + 1} has no valid seq ({seq!r})")
        if seq in seen:
            kind = "duplicate record" if seen[seq] == record_id else "fork"
            raise ChainError(f"{kind} at seq {seq}")
        if expected is not None and seq != expected:
            if expected in claimed_seqs[index + 1 :]:
                raise ChainError(f"out of order: seq {seq} comes before seq {expected}")
            raise ChainError(f"gap: expected seq {expected}, found {seq}")
        if index == 0:
            bench_id = str(body.get("bench_id"))
        elif body.get("bench_id") != bench_id:
            raise ChainError(
                f"another bench at seq {seq}: {body.get('bench_id')!r}, not {bench_id!r}"
            )
        _check_prev(body, seq, index, previous_digest)
        seen[seq] = record_id
        bodies.append(body)
        previous_digest = envelope_digest(envelope)
        expected = seq + 1
    first = _claimed_seq(envelopes[0])
    return ChainReport(
        bench_id=bench_id,
        count=len(envelopes),
        first_seq=first if first is not None else 0,
        last_seq=(expected or 1) - 1,
        tip_digest=previous_digest or "",
        keyids=frozenset(_keyids(envelopes, public_keys)),
        bodies=bodies,
    )


def _check_prev(body: Mapping[str, Any], seq: int, index: int, previous: str | None) -> None:
    prev = body.get("prev")
    if seq == 1 and prev is not None:
        raise ChainError("broken link at seq 1: the first record has a prev")
    if index > 0 and prev != previous:
        raise ChainError(
            f"broken link at seq {seq}: prev is not the digest of seq {seq - 1} "
            "(a record before it was replaced, or the chain forked)"
        )


def _claimed_seq(envelope: Any) -> int | None:
    try:
        seq = decode_payload(envelope).get("seq") if isinstance(envelope, Mapping) else None
    except SignatureError:
        return None
    return seq if isinstance(seq, int) else None


def _signatures(envelope: Mapping[str, Any], at: str) -> list[Mapping[str, Any]]:
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise SignatureError(f"unsigned record {at}: no signatures")
    if not all(isinstance(entry, Mapping) for entry in signatures):
        raise SignatureError(f"malformed signature entry {at}")
    return signatures


def _keyids(envelopes: Sequence[Any], public_keys: Mapping[str, Ed25519PublicKey]) -> set[str]:
    return {
        str(entry.get("keyid"))
        for envelope in envelopes
        for entry in envelope.get("signatures", [])
        if entry.get("keyid") in public_keys
    }
