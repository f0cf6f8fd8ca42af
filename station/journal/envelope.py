"""DSSE envelopes signed with the bench's Ed25519 key (records.md, "Signing and the chain").

Formats, fixed here because the bench, the server and `station verify` must agree:

- A record body is a JSON object carrying `bench_id`, `seq`, `prev` and `record_id`.
  `record_id` is the sha256 (hex) of the RFC 8785 canonical JSON of the body *without*
  its `record_id` field.
- The envelope is `{"payloadType", "payload", "signatures": [{"keyid", "sig"}]}` where
  `payload` is standard base64 of the canonical body bytes and `sig` is standard base64
  of the Ed25519 signature over DSSE's PAE(payloadType, payload bytes).
- `keyid` is the sha256 (hex) of the raw 32-byte public key.
- `prev` of record n is `envelope_digest` of record n-1: the sha256 (hex) of the
  canonical JSON of the whole envelope; null for seq 1.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from station.errors import SignatureError

PAYLOAD_TYPE = "application/vnd.station.step+json"


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON bytes."""
    return bytes(rfc8785.dumps(value))


def compute_record_id(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(
        canonical({k: v for k, v in body.items() if k != "record_id"})
    ).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def envelope_digest(envelope: Mapping[str, Any]) -> str:
    try:
        return hashlib.sha256(canonical(dict(envelope))).hexdigest()
    except rfc8785.CanonicalizationError as exc:
        raise SignatureError(f"malformed envelope: {exc}") from exc


def sign_body(body: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """Seal a body (record_id filled in here) into a signed envelope."""
    sealed = dict(body)
    sealed["record_id"] = compute_record_id(sealed)
    payload = canonical(sealed)
    signature = private_key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {"keyid": key_id(private_key.public_key()), "sig": base64.b64encode(signature).decode()}
        ],
    }


def open_envelope(
    envelope: Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]
) -> dict[str, Any]:
    """Check an envelope's signature and record_id; return its body or raise SignatureError."""
    # Untrusted input (the server's request body, a file given to `station verify`): any
    # shape must end in SignatureError, never in AttributeError or a canonicalization error.
    if not isinstance(envelope, Mapping):
        raise SignatureError("malformed envelope: not a JSON object")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise SignatureError(f"unexpected payloadType {envelope.get('payloadType')!r}")
    try:
        payload = base64.b64decode(str(envelope["payload"]), validate=True)
        signatures = list(envelope["signatures"])
    except (KeyError, TypeError, binascii.Error) as exc:
        raise SignatureError(f"malformed envelope: {exc}") from exc
    if not signatures:
        raise SignatureError("the envelope carries no signature")
    if not isinstance(envelope["signatures"], list) or not all(
        isinstance(entry, Mapping) for entry in signatures
    ):
        raise SignatureError("malformed envelope: signatures must be a list of objects")
    unknown = []
    for entry in signatures:
        keyid = str(entry.get("keyid", ""))
        key = public_keys.get(keyid)
        if key is None:
            unknown.append(keyid)
            continue
        try:
            key.verify(
                base64.b64decode(str(entry.get("sig", "")), validate=True),
                pae(PAYLOAD_TYPE, payload),
            )
        except (InvalidSignature, binascii.Error) as exc:
            raise SignatureError(f"bad signature by key {keyid[:16]}…") from exc
        return _checked_body(payload)
    raise SignatureError("signed by an unknown key: " + ", ".join(k[:16] + "…" for k in unknown))


def _checked_body(payload: bytes) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise SignatureError(f"the signed payload is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SignatureError("the signed payload is not a JSON object")
    try:
        canonical_payload = canonical(body)
    except rfc8785.CanonicalizationError as exc:
        raise SignatureError(f"the signed payload cannot be canonicalized: {exc}") from exc
    if canonical_payload != payload:
        raise SignatureError("the signed payload is not in canonical form")
    if body.get("record_id") != compute_record_id(body):
        raise SignatureError("record_id does not match the body (altered field?)")
    return body
