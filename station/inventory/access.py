"""Who is asking: a signed-in user, the admin token, a bench signing its reads, or nobody.

Every route reads data only for a `Principal`; the few routes anyone may call are named
in PUBLIC_PATHS (tests/server/test_access.py calls every other route without credentials
and expects 401). A bench reads only its own data; people read the whole workshop;
admin calls need the `admin` role or the server's admin token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Request

from station.domain.clock import utc_now
from station.inventory.benches import Bench, benches_by_key_ids
from station.inventory.database import Database
from station.inventory.problems import Problem
from station.inventory.signed import FRESH
from station.inventory.users import COOKIE_NAME, User, session_user
from station.journal.signed_requests import AUTH_SCHEME, read_message

# Paths anyone may reach. Everything else answers 401 without credentials.
PUBLIC_PATHS: frozenset[str] = frozenset(
    {
        "/v1/health",  # liveness and a record count, nothing about any bench or disk
        "/v1/benches",  # POST: enrolment, signed by the key it presents
        "/v1/records",  # POST: signed records (the signature is the credential)
        "/v1/records/batch",
        "/v1/keys/reserve",  # POST: signed by an approved bench
        "/v1/keys/assignments",
        "/v1/keys/release",
        "/v1/classroom/join",  # POST: a netbooted laptop's join, signed by the key it presents
        "/login",
        "/logout",
        "/docs",  # the API's description, no data
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
        "/static/station.css",  # the pages' style sheet
        "/",  # without a session: the sign-in form and the certificate check only
        "/verification",  # the certificate check by its printed number (303 to its page)
        "/langue/{lang}",  # the pages' language (a cookie), no data
    }
)
# Prefixes of public pages: the verification page of one certificate
# (routes_verification_page) shows that certificate's own facts only.
PUBLIC_PREFIXES: tuple[str, ...] = ("/verification/",)

TOKEN_USER = User("admin-token", "admin")


@dataclass(frozen=True)
class Principal:
    """A person (user) or a bench; exactly one is set."""

    user: User | None = None
    bench: Bench | None = None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == "admin"

    def may_read_bench(self, bench_id: str) -> bool:
        return self.user is not None or (self.bench is not None and self.bench.bench_id == bench_id)

    def require_bench(self, bench_id: str) -> None:
        """A 403 unless this principal may read `bench_id`'s data."""
        if not self.may_read_bench(bench_id):
            raise Problem(403, "not_your_bench", "a bench reads only its own data")

    def require_person(self) -> None:
        if self.user is None:
            raise Problem(
                403, "people_only", "this is read by a signed-in user of the workshop, not a bench"
            )


def _bench_reader(db: Database, request: Request, header: str) -> Bench:
    fields: dict[str, str] = {}
    for part in header.removeprefix(AUTH_SCHEME).split(","):
        name, _, value = part.strip().partition("=")
        fields[name] = value
    keyid, stamp, sig = fields.get("keyid", ""), fields.get("ts", ""), fields.get("sig", "")
    if not (keyid and stamp.isdigit() and sig) or len(stamp) > 12:
        raise Problem(401, "bad_signature", f"expected '{AUTH_SCHEME} keyid=…, ts=…, sig=…'")
    moment = datetime.fromtimestamp(int(stamp), UTC)
    if abs(utc_now() - moment) > FRESH:
        raise Problem(401, "stale_request", "the signed read is older than 15 minutes")
    with db.transaction() as tx:
        found = benches_by_key_ids(tx, [keyid])
    # Any status: a pending or revoked bench may still read its own status and chain.
    if not found:
        raise Problem(401, "unknown_key", "no enrolled bench has this key")
    bench = found[0]
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    try:
        Ed25519PublicKey.from_public_bytes(bench.raw_key).verify(
            base64.b64decode(sig, validate=True), read_message(request.method, target, stamp)
        )
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise Problem(401, "bad_signature", "the read's signature does not verify") from exc
    return bench


def principal(db: Database, request: Request, admin_token: str | None) -> Principal | None:
    """Whoever the credentials of `request` name, or None when it carries none.

    Wrong credentials are a 401 (never silently anonymous)."""
    header = request.headers.get("authorization", "")
    if header.startswith(AUTH_SCHEME + " "):
        return Principal(bench=_bench_reader(db, request, header))
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        if admin_token is not None and hmac.compare_digest(token.encode(), admin_token.encode()):
            return Principal(user=TOKEN_USER)
        raise Problem(403, "bad_token", "the admin token is not the server's")
    cookie = request.cookies.get(COOKIE_NAME)
    if cookie:
        user = session_user(db, cookie)
        if user is None:
            raise Problem(401, "session_ended", "the session has ended: sign in again at /login")
        return Principal(user=user)
    return None


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
