"""A bench that signs records in memory, for server tests and the sync benchmark.

It seals bodies exactly as the journal does (body_to_json of a validated sample, then
bench_id, seq, prev), so the server sees what a real bench sends.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from station.domain.record import body_to_json, parse_body
from station.journal.envelope import envelope_digest, key_id, sign_body
from station.journal.samples import sample_body
from station.journal.signed_requests import ENROLMENT_KIND, read_authorization


class BenchSigner:
    def __init__(self, bench_id: str = "bench-t1", key: Ed25519PrivateKey | None = None) -> None:
        self.bench_id = bench_id
        self.key = key or Ed25519PrivateKey.generate()
        self.seq = 0
        self.prev: str | None = None

    @property
    def public_key_b64(self) -> str:
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    @property
    def keyid(self) -> str:
        return key_id(self.key.public_key())

    def enrolment(self, name: str = "test bench", **overrides: Any) -> dict[str, Any]:
        """The signed enrolment `station enrol` sends (`overrides` change the body
        before it is signed)."""
        body = {
            "kind": ENROLMENT_KIND,
            "bench_id": self.bench_id,
            "name": name,
            "public_key": self.public_key_b64,
            "created_at": datetime.now(UTC).isoformat(),
            **overrides,
        }
        return sign_body(body, self.key)

    def read_headers(self, path_and_query: str) -> dict[str, str]:
        """The Authorization header of this bench's signed GET of `path_and_query`."""
        return {"Authorization": read_authorization(self.key, "GET", path_and_query)}

    def body(
        self,
        kind: str = "disk_seen",
        *,
        seq: int | None = None,
        prev: str | bool | None = True,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The next sealed body (seq/prev of the chain unless given)."""
        fields = body_to_json(parse_body(sample_body(kind, **overrides)))
        fields["bench_id"] = self.bench_id
        fields["seq"] = self.seq + 1 if seq is None else seq
        fields["prev"] = self.prev if prev is True else prev
        return fields

    def seal(self, body: dict[str, Any]) -> dict[str, Any]:
        return sign_body(body, self.key)

    def next(self, kind: str = "disk_seen", **overrides: Any) -> dict[str, Any]:
        """Sign the next record of the chain and advance."""
        envelope = self.seal(self.body(kind, **overrides))
        self.seq += 1
        self.prev = envelope_digest(envelope)
        return envelope

    def chain(self, count: int, kind: str = "disk_seen") -> list[dict[str, Any]]:
        return [self.next(kind) for _ in range(count)]


def record_id_of(envelope: dict[str, Any]) -> str:
    import json

    body = json.loads(base64.b64decode(envelope["payload"]))
    return str(body["record_id"])
