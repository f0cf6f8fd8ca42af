"""Requests a bench signs with its key, beyond records: its enrolment and its reads.

- Enrolment is a signed envelope whose body names the public key it is signed with, so
  nobody can enrol a key they do not hold (proof of possession).
- A read (GET) carries `Authorization: Station-Bench keyid=…, ts=…, sig=…`, a signature
  over the method, the path with its query and the time: the server answers a bench
  only about its own data, and only within a few minutes of that time.
"""

from __future__ import annotations

import base64
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from station.domain.clock import utc_now
from station.journal.envelope import key_id, sign_body

ENROLMENT_KIND = "bench_enrolment"
AUTH_SCHEME = "Station-Bench"
_READ_CONTEXT = b"station-read-v1\n"


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def signed_enrolment(
    private_key: Ed25519PrivateKey,
    bench_id: str,
    name: str,
    *,
    created_at: datetime | None = None,
    public_key: str | None = None,
) -> dict[str, object]:
    """The enrolment envelope: bench_id, name and the public key, signed by that key.

    `public_key` is only given by tests that present another key than the signer's.
    """
    body = {
        "kind": ENROLMENT_KIND,
        "bench_id": bench_id,
        "name": name,
        "public_key": public_key or public_key_b64(private_key),
        "created_at": (created_at or utc_now()).isoformat(),
    }
    return sign_body(body, private_key)


JOIN_KIND = "classroom_join"


def signed_join(
    private_key: Ed25519PrivateKey,
    machine_serial: str | None,
    machine_uuid: str | None,
    hostname: str,
    *,
    public_key: str | None = None,
) -> dict[str, object]:
    """A netbooted laptop's request to join the classroom session: its machine identity
    and the public key it made in RAM, signed by that key. `public_key` is only given by
    tests that present another key than the signer's."""
    body = {
        "kind": JOIN_KIND,
        "public_key": public_key or public_key_b64(private_key),
        "machine_serial": machine_serial,
        "machine_uuid": machine_uuid,
        "hostname": hostname,
        "created_at": utc_now().isoformat(),
    }
    return sign_body(body, private_key)


def read_message(method: str, path_and_query: str, timestamp: str) -> bytes:
    """The exact bytes a bench signs for one read."""
    return _READ_CONTEXT + f"{method.upper()}\n{path_and_query}\n{timestamp}".encode()


def read_authorization(
    private_key: Ed25519PrivateKey, method: str, path_and_query: str, when: datetime | None = None
) -> str:
    """The Authorization header value for one signed read."""
    timestamp = str(int((when or utc_now()).timestamp()))
    signature = private_key.sign(read_message(method, path_and_query, timestamp))
    keyid = key_id(private_key.public_key())
    sig = base64.b64encode(signature).decode()
    return f"{AUTH_SCHEME} keyid={keyid}, ts={timestamp}, sig={sig}"
