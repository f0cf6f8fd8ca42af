"""A supervisor's secret (PIN or passphrase), kept in the bench profile only as a slow
salted scrypt hash, and the check that never says which ids are supervisors.

The stored form is one string: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "scrypt"
# n=2**14, r=8: 16 MiB and about 50 ms per try on a bench laptop (OWASP's minimum for
# scrypt), slow enough that guessing a 6-digit PIN from a copied profile takes days.
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 4

# Checked when the id has no secret, so that a wrong id and a wrong secret cost the
# same time and give the same answer.
_DUMMY = f"{SCHEME}${N}${R}${P}${'00' * SALT_BYTES}${'00' * HASH_BYTES}"


def _derive(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=2**26, dklen=HASH_BYTES
    )


def hash_secret(secret: str) -> str:
    """The stored form of a new secret (a fresh random salt each time)."""
    if len(secret) < MIN_LENGTH:
        raise ValueError(f"a supervisor secret has at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(secret, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${digest.hex()}"


def secret_matches(secret: str, stored: str) -> bool:
    """True when `secret` is the one `stored` was made from (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = bytes.fromhex(digest)
        found = _derive(secret, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def is_supervisor_hash(stored: str) -> bool:
    """The form a bench profile accepts for a stored secret."""
    parts = stored.split("$")
    return len(parts) == 6 and parts[0] == SCHEME and all(parts[1:])


def supervisor_proven(
    supervisor: str, secret: str | None, supervisors: list[str], hashes: dict[str, str]
) -> bool:
    """True only for a supervisor of the bench who gave their own secret. A wrong id,
    an id without a secret and a wrong secret all take the same work and say False."""
    stored = hashes.get(supervisor) if supervisor in supervisors else None
    matched = secret_matches(secret or "", stored or _DUMMY)
    return stored is not None and bool(secret) and matched
