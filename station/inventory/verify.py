"""Everything the server checks about one envelope before it touches the chain.

Signature and key first (an envelope nobody approved is refused before its content is
even read), then the body's schema (`station.domain.record.parse_body`, sealed). The
checks that need the stored chain live in `ingest`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from station.domain.record import StepBody, parse_body
from station.errors import RecordError, SignatureError
from station.inventory.benches import Bench
from station.inventory.problems import Problem
from station.journal.envelope import canonical, open_envelope

ENVELOPE_FIELDS = frozenset({"payloadType", "payload", "signatures"})
SIGNATURE_FIELDS = frozenset({"keyid", "sig"})


@dataclass(frozen=True)
class Checked:
    """An authentic, well-formed record, with the columns it is indexed by."""

    bench_id: str
    seq: int
    prev: str | None
    record_id: str
    digest: str
    kind: str
    created_at: str
    disk_serial: str | None
    host_id: str | None
    envelope_text: str
    body_text: str


def key_ids_of(envelope: Any) -> list[str]:
    """The keyids an envelope claims (checked for real by `check_envelope`)."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("signatures"), list):
        return []
    return [str(s.get("keyid")) for s in envelope["signatures"] if isinstance(s, dict)]


def check_shape(envelope: Any) -> None:
    """The DSSE envelope format of station.journal.envelope, and nothing else."""
    if not isinstance(envelope, dict):
        raise Problem(422, "bad_envelope", "an envelope is a JSON object", field="envelope")
    unexpected = sorted(set(envelope) - ENVELOPE_FIELDS)
    missing = sorted(ENVELOPE_FIELDS - set(envelope))
    if missing or unexpected:
        field = (missing or unexpected)[0]
        raise Problem(
            422,
            "bad_envelope",
            f"envelope fields: missing {missing or 'none'}, unexpected {unexpected or 'none'}",
            field=field,
        )
    for name in ("payloadType", "payload"):
        if not isinstance(envelope[name], str):
            raise Problem(422, "bad_envelope", f"{name} must be a string", field=name)
    signatures = envelope["signatures"]
    if not isinstance(signatures, list) or not signatures:
        raise Problem(
            422, "bad_envelope", "signatures must be a non-empty list", field="signatures"
        )
    for index, entry in enumerate(signatures):
        if (
            not isinstance(entry, dict)
            or set(entry) != SIGNATURE_FIELDS
            or not all(isinstance(entry[k], str) for k in SIGNATURE_FIELDS)
        ):
            raise Problem(
                422,
                "bad_envelope",
                "each signature is {keyid: string, sig: string}",
                field=f"signatures.{index}",
            )


def signing_bench(envelope: dict[str, Any], benches: dict[str, Bench]) -> Bench:
    """The approved bench whose key signed this envelope, or a 403 saying why there is none."""
    claimed = [benches[k] for k in key_ids_of(envelope) if k in benches]
    for bench in claimed:
        if bench.status == "approved":
            return bench
    if not claimed:
        keyid = key_ids_of(envelope)[0]
        raise Problem(
            403,
            "unknown_key",
            f"no enrolled bench has key {keyid[:16]}…; enrol it with `station enrol`",
        )
    bench = claimed[0]
    if bench.status == "revoked":
        raise Problem(403, "key_revoked", f"the key of bench {bench.bench_id} was revoked")
    raise Problem(
        403,
        "key_not_approved",
        f"bench {bench.bench_id} is enrolled but waits for a supervisor's approval",
    )


def check_envelope(
    envelope: Any, benches: dict[str, Bench], keys: dict[str, Ed25519PublicKey]
) -> Checked:
    """Shape, key, signature, record_id and schema; raises Problem (403/422)."""
    check_shape(envelope)
    bench = signing_bench(envelope, benches)
    key = keys.get(bench.key_id)
    if key is None:
        key = keys[bench.key_id] = Ed25519PublicKey.from_public_bytes(bench.raw_key)
    try:
        body = open_envelope(envelope, {bench.key_id: key})
    except SignatureError as exc:
        raise Problem(422, "bad_signature", exc.one_line()) from exc
    model = _parse(body)
    if model.bench_id != bench.bench_id:
        raise Problem(
            403,
            "bench_mismatch",
            f"the record says bench {model.bench_id!r} but is signed by the key "
            f"of bench {bench.bench_id!r}",
            field="bench_id",
        )
    assert model.seq is not None and model.record_id is not None  # sealed=True checked them
    envelope_bytes = canonical_envelope(envelope)
    disk = getattr(model, "disk", None)
    host = getattr(model, "host", None)
    return Checked(
        bench_id=bench.bench_id,
        seq=model.seq,
        prev=model.prev,
        record_id=model.record_id,
        digest=hashlib.sha256(envelope_bytes).hexdigest(),
        kind=model.kind,
        created_at=model.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        disk_serial=None if disk is None else disk.serial,
        host_id=None if host is None else (host.serial or host.uuid),
        envelope_text=envelope_bytes.decode(),
        body_text=base64.b64decode(envelope["payload"]).decode(),
    )


def _parse(body: dict[str, Any]) -> StepBody:
    """The validated body, or a 422 naming the first wrong field (and all of them)."""
    try:
        return parse_body(body, sealed=True)
    except RecordError as exc:
        cause = exc.__cause__
        fields = []
        if isinstance(cause, ValidationError):
            fields = [".".join(str(p) for p in e["loc"][1:]) or "body" for e in cause.errors()]
        elif exc.message.startswith("kind:"):
            fields = ["kind"]
        first = fields[0] if fields else "body"
        raise Problem(422, "schema", exc.one_line(), field=first, fields=fields) from exc


def canonical_envelope(envelope: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a shape-checked envelope, whose sha256 is `envelope_digest`.

    An envelope holds only strings under ASCII keys; for such an object JCS is exactly
    sorted-key compact JSON, which the json module writes several times faster than the
    general canonicaliser (tests/server/test_canonical_envelope.py holds them equal).
    Anything non-ASCII takes the general path.
    """
    text = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode() if text.isascii() else canonical(envelope)
