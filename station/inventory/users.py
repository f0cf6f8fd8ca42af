"""People of the workshop who read the inventory: users, roles, sessions.

Roles: `admin` (everything, including approving benches and importing keys), `encadrant`
(the supervisor: reads every bench), `lecture` (reads). Passwords are hashed with Argon2id
(argon2-cffi); a session is a random id kept in the database (so logout really ends it),
sent to the browser in a cookie signed with the server's secret (HMAC-SHA256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from station.domain.clock import utc_now, utc_now_text
from station.inventory.database import Database, Tx
from station.inventory.problems import Problem

Role = Literal["admin", "encadrant", "lecture"]
ROLES: tuple[str, ...] = get_args(Role)
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)
COOKIE_NAME = "station_session"

MIGRATION: list[str] = [
    """CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE sessions (
        session_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (username),
        expires_at TEXT NOT NULL
    )""",
    "CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
]

_hasher = PasswordHasher()
# Verified when the user is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    username: str
    role: Role


def add_user(db: Database, username: str, password: str, role: str) -> User:
    """A new user; a 422 names what is wrong (name, role, short password, taken)."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise Problem(422, "bad_username", f"a user name matches {USERNAME_PATTERN}")
    if role not in ROLES:
        raise Problem(422, "bad_role", f"the role is one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise Problem(422, "weak_password", f"a password has at least {MIN_PASSWORD} characters")
    with db.transaction(write=True) as tx:
        if tx.row("SELECT 1 FROM users WHERE username = ?", (username,)):
            raise Problem(409, "user_exists", f"user {username!r} already exists")
        tx.run(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            (username, _hasher.hash(password), role, utc_now_text()),
        )
    return User(username, role)  # type: ignore[arg-type]


def list_users(db: Database) -> list[User]:
    with db.transaction() as tx:
        rows = tx.rows("SELECT username, role FROM users ORDER BY username")
    return [User(str(name), role) for name, role in rows]


def check_password(db: Database, username: str, password: str) -> User | None:
    """The user when the password is theirs, else None (same work either way)."""
    with db.transaction() as tx:
        row = tx.row("SELECT password_hash, role FROM users WHERE username = ?", (username,))
    try:
        _hasher.verify(str(row[0]) if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return None if row is None else User(username, row[1])


def ensure_secret(db: Database) -> None:
    """The key that signs session cookies, made once per database (shared by workers)."""
    with db.transaction(write=True) as tx:
        if tx.row("SELECT 1 FROM server_secrets WHERE name = 'session'") is None:
            tx.run(
                "INSERT INTO server_secrets (name, value) VALUES ('session', ?)",
                (secrets.token_hex(32),),
            )


def _secret(tx: Tx) -> bytes:
    found = tx.row("SELECT value FROM server_secrets WHERE name = 'session'")
    if found is None:
        raise Problem(503, "no_session_secret", "the server's session secret is missing")
    return str(found[0]).encode()


def _mac(secret: bytes, session_id: str) -> str:
    digest = hmac.new(secret, session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(db: Database, user: User) -> str:
    """A new session of `user`: the signed cookie value."""
    session_id = secrets.token_urlsafe(32)
    expires = (utc_now() + SESSION_LIFETIME).isoformat(timespec="seconds")
    with db.transaction(write=True) as tx:
        tx.run("DELETE FROM sessions WHERE expires_at < ?", (utc_now_text(),))
        tx.run(
            "INSERT INTO sessions (session_hash, username, expires_at) VALUES (?, ?, ?)",
            (_hash(session_id), user.username, expires),
        )
        secret = _secret(tx)
    return f"{session_id}.{_mac(secret, session_id)}"


def _session_id(tx: Tx, cookie: str) -> str | None:
    session_id, _, mac = cookie.partition(".")
    if not session_id or not hmac.compare_digest(mac, _mac(_secret(tx), session_id)):
        return None
    return session_id


def session_user(db: Database, cookie: str) -> User | None:
    """The signed-in user of a cookie, or None (bad signature, ended or expired)."""
    with db.transaction() as tx:
        session_id = _session_id(tx, cookie)
        if session_id is None:
            return None
        row = tx.row(
            "SELECT u.username, u.role FROM sessions s JOIN users u ON u.username = s.username "
            "WHERE s.session_hash = ? AND s.expires_at > ?",
            (_hash(session_id), utc_now_text()),
        )
    return None if row is None else User(str(row[0]), row[1])


def csrf_token(db: Database, cookie: str) -> str | None:
    """The anti-forgery token of a session: its forms carry it back, so a page of another
    site cannot post in the user's name (the cookie alone is not enough)."""
    with db.transaction() as tx:
        session_id = _session_id(tx, cookie)
        if session_id is None:
            return None
        return _mac(_secret(tx), "csrf:" + session_id)


def end_session(db: Database, cookie: str) -> None:
    with db.transaction(write=True) as tx:
        session_id = _session_id(tx, cookie)
        if session_id is not None:
            tx.run("DELETE FROM sessions WHERE session_hash = ?", (_hash(session_id),))
