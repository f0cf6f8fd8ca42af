"""Requests signed by a bench key, other than records: key-pool calls, enrolment, reads.

Every check here ends in a Problem (4xx) saying what is wrong, never in a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime, timedelta
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from station.domain.clock import utc_now
from station.errors import SignatureError
from station.inventory import classroom
from station.inventory.benches import Bench, benches_by_key_ids, decode_public_key
from station.inventory.database import Database
from station.inventory.http_input import loads_strict
from station.inventory.models import SelfSignedIn
from station.inventory.problems import Problem
from station.inventory.verify import check_shape, key_ids_of, signing_bench
from station.journal.envelope import open_envelope

M = TypeVar("M", bound=SelfSignedIn)

# How long a signed request counts: clocks of benches drift, a replay after that is refused.
FRESH = timedelta(minutes=15)


def fresh(moment: datetime, now: datetime | None = None) -> None:
    """A 422 unless `moment` is a UTC time within FRESH of now."""
    now = now or utc_now()
    if moment.tzinfo is None or abs(now - moment) > FRESH:
        raise Problem(422, "stale_request", "created_at must be a UTC time within 15 minutes")


def signed_body(db: Database, envelope: Any) -> tuple[Bench, dict[str, Any]]:
    """The approved bench that signed `envelope`, and the body it signed (or a 4xx)."""
    if not isinstance(envelope, dict):
        raise Problem(422, "malformed_envelope", "send one signed envelope (a JSON object)")
    try:
        wanted = key_ids_of(envelope)
    except (TypeError, AttributeError, KeyError) as exc:
        raise Problem(422, "malformed_envelope", "the envelope has no signatures") from exc
    if not wanted:
        raise Problem(422, "malformed_envelope", "the envelope has no signatures")
    with db.transaction() as tx:
        benches = {b.key_id: b for b in benches_by_key_ids(tx, wanted)}
    try:
        bench = signing_bench(envelope, benches)
    except Problem as problem:
        claimed = [b.bench_id for k, b in benches.items() if k in wanted]
        with db.transaction() as tx:  # a classroom laptop is told why in French
            found = classroom.refusal(tx, claimed) if problem.status == 403 else {}
        raise next(iter(found.values()), problem) from None
    try:
        body = open_envelope(
            envelope, {bench.key_id: Ed25519PublicKey.from_public_bytes(bench.raw_key)}
        )
    except SignatureError as exc:
        raise Problem(403, "bad_signature", exc.one_line()) from exc
    if body.get("bench_id") != bench.bench_id:
        raise Problem(403, "wrong_bench", "the body names another bench than its signer")
    return bench, body


def self_signed_body(envelope: Any) -> dict[str, Any]:
    """The body of an enrolment envelope, checked to be signed by the key it presents."""
    check_shape(envelope)
    try:
        claimed = loads_strict(base64.b64decode(envelope["payload"], validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Problem(
            422, "bad_envelope", "the payload is not base64 JSON", field="payload"
        ) from exc
    if not isinstance(claimed, dict) or not isinstance(claimed.get("public_key"), str):
        raise Problem(422, "bad_enrolment", "the body must name its public_key", field="public_key")
    raw = decode_public_key(claimed["public_key"])
    key = Ed25519PublicKey.from_public_bytes(raw)
    try:
        return open_envelope(envelope, {hashlib.sha256(raw).hexdigest(): key})
    except SignatureError as exc:
        raise Problem(
            403,
            "no_proof_of_possession",
            "an enrolment must be signed by the key it presents "
            f"(use `station enrol`): {exc.one_line()}",
        ) from exc


def self_signed_request(envelope: Any, model: type[M], code: str) -> M:
    """A self-signed request (an enrolment, a classroom laptop's join): its body checked
    to be signed by the key it presents, read as `model` (a 422 `code` naming the field),
    and fresh (its `created_at` within 15 minutes)."""
    data = self_signed_body(envelope)
    try:
        wanted = model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise Problem(422, code, f"{field}: {first['msg']}", field=field) from exc
    fresh(wanted.created_at)
    return wanted
