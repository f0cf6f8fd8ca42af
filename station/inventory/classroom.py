"""Classroom sessions and the netbooted laptops' bench identities, approved per session.

A laptop that boots from the network has no stick: it makes a key in RAM and asks to join
the open session with its machine identity (DMI serial and UUID) and that public key
(`join`, an envelope signed by the key it presents). It becomes a bench in `benches`
(status `pending`) and a row of `classroom_laptops`; the supervisor approves or refuses it
on the classroom page (`decide`: who decided and when are kept). Its records are accepted
only while it is approved, and the approval ends with the session (`close_session`: the
laptops' benches are revoked, their rows say `expired`). Refusals of a laptop's records
say why in French (`refusal`): it is a trainee's screen that shows them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from station.domain.clock import utc_now_text
from station.inventory import benches
from station.inventory.database import Database, Tx
from station.inventory.i18n import N_
from station.inventory.problems import Problem

LaptopStatus = Literal["pending", "approved", "refused", "expired"]
STATUS_WORDS = {
    "pending": N_("en attente d'approbation"),
    "approved": N_("approuvé pour la séance"),
    "refused": N_("refusé"),
    "expired": N_("approbation expirée"),
}
IDENTITY_MAX = 128
_IDENTITY = re.compile(r"^[\x20-\x7e]{1,128}$")

MIGRATION: list[str] = [
    """CREATE TABLE classroom_sessions (
        session_id TEXT PRIMARY KEY,
        image TEXT NOT NULL,
        laptops INTEGER NOT NULL,
        start_mode TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        closed_at TEXT,
        closed_by TEXT
    )""",
    """CREATE TABLE classroom_laptops (
        bench_id TEXT PRIMARY KEY REFERENCES benches (bench_id),
        session_id TEXT NOT NULL REFERENCES classroom_sessions (session_id),
        machine_serial TEXT,
        machine_uuid TEXT,
        hostname TEXT NOT NULL,
        status TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT
    )""",
    "CREATE INDEX classroom_laptops_session ON classroom_laptops (session_id)",
]

# Refusals of a laptop's records and reads, in French (the laptop's screen shows them).
REFUSALS_FR = {
    "pending": "portable en attente d'approbation : l'encadrant doit l'approuver sur la "
    "page « Salle de classe » du serveur",
    "refused": "l'encadrant a refusé ce portable pour cette séance",
    "expired": "approbation expirée : la séance de salle est terminée (redémarrez le "
    "portable pour une nouvelle séance)",
}


@dataclass(frozen=True)
class Session:
    session_id: str
    image: str
    laptops: int
    start_mode: str
    opened_by: str
    opened_at: str
    closed_at: str | None


@dataclass(frozen=True)
class Laptop:
    bench_id: str
    session_id: str
    machine_serial: str | None
    machine_uuid: str | None
    hostname: str
    status: LaptopStatus
    joined_at: str
    decided_by: str | None
    decided_at: str | None
    key_id: str

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]


_SESSION = "session_id, image, laptops, start_mode, opened_by, opened_at, closed_at"
_LAPTOP = (
    "l.bench_id, l.session_id, l.machine_serial, l.machine_uuid, l.hostname, l.status, "
    "l.joined_at, l.decided_by, l.decided_at, b.key_id"
)


def _session(row: tuple[object, ...]) -> Session:
    sid, image, laptops, mode, by, opened, closed = row
    return Session(str(sid), str(image), int(str(laptops)), str(mode), str(by), str(opened),
                   None if closed is None else str(closed))  # fmt: skip


def _laptop(row: tuple[object, ...]) -> Laptop:
    values = [None if v is None else str(v) for v in row]
    return Laptop(*values)  # type: ignore[arg-type]


def open_session(db: Database, image: str, laptops: int, start_mode: str, by: str) -> Session:
    """A new session; the one still open is closed first (its approvals expire)."""
    session_id = "salle-" + secrets.token_hex(6)
    with db.transaction(write=True) as tx:
        current = _open_tx(tx)
        if current is not None:
            _close_tx(tx, current.session_id, by)
        tx.run(
            f"INSERT INTO classroom_sessions ({_SESSION}) VALUES (?, ?, ?, ?, ?, ?, NULL)",  # noqa: S608
            (session_id, image, laptops, start_mode, by, utc_now_text()),
        )
        made = _open_tx(tx)
    assert made is not None
    return made


def _open_tx(tx: Tx) -> Session | None:
    row = tx.row(
        f"SELECT {_SESSION} FROM classroom_sessions WHERE closed_at IS NULL "  # noqa: S608
        "ORDER BY opened_at DESC LIMIT 1"
    )
    return None if row is None else _session(row)


def open_session_now(db: Database) -> Session | None:
    with db.transaction() as tx:
        return _open_tx(tx)


def _close_tx(tx: Tx, session_id: str, by: str) -> int:
    now = utc_now_text()
    ids = [str(r[0]) for r in tx.rows(
        "SELECT bench_id FROM classroom_laptops WHERE session_id = ? "
        "AND status IN ('pending', 'approved')", (session_id,))]  # fmt: skip
    for bench_id in ids:
        tx.run(
            "UPDATE benches SET status = 'revoked', decided_at = ? WHERE bench_id = ?",
            (now, bench_id),
        )
        tx.run("UPDATE classroom_laptops SET status = 'expired' WHERE bench_id = ?", (bench_id,))
    tx.run(
        "UPDATE classroom_sessions SET closed_at = ?, closed_by = ? WHERE session_id = ?",
        (now, by, session_id),
    )
    return len(ids)


def close_session(db: Database, by: str) -> int:
    """Close the open session: every laptop's approval expires (their benches are revoked,
    so their records are refused from now on). How many laptops lost theirs."""
    with db.transaction(write=True) as tx:
        current = _open_tx(tx)
        return 0 if current is None else _close_tx(tx, current.session_id, by)


def _identity(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _IDENTITY.match(value):
        raise Problem(422, "bad_identity",
                      f"{name} : texte imprimable de 1 à {IDENTITY_MAX} caractères",
                      field=name)  # fmt: skip
    return value


def laptop_bench_id(public_key: str) -> str:
    """A laptop's bench id from its key, as any bench derives its own (journal/keys.py
    default_bench_id): a new key at each boot, a new id."""
    raw = benches.decode_public_key(public_key)
    return "bench-" + hashlib.sha256(raw).hexdigest()[:12]


def join(
    db: Database, public_key: str, serial: object, uuid: object, hostname: object
) -> tuple[Laptop, Session]:
    """Enrol a netbooted laptop for the open session (pending until approved)."""
    machine_serial = _identity(serial, "machine_serial")
    machine_uuid = _identity(uuid, "machine_uuid")
    if machine_serial is None and machine_uuid is None:
        raise Problem(422, "bad_identity", "le portable doit donner son numéro de série ou son "
                      "UUID (DMI)", field="machine_serial")  # fmt: skip
    name = _identity(hostname, "hostname") or machine_serial or machine_uuid or "portable"
    session = open_session_now(db)
    if session is None:
        raise Problem(409, "no_classroom_session", "aucune séance de salle ouverte : "
                      "l'encadrant doit d'abord démarrer la séance sur la page « Salle de "
                      "classe »")  # fmt: skip
    bench_id = laptop_bench_id(public_key)
    bench, _created = benches.enrol(db, bench_id, f"{name} (salle)", public_key)
    with db.transaction(write=True) as tx:
        found = _laptop_tx(tx, bench.bench_id)
        if found is None:
            tx.run(
                "INSERT INTO classroom_laptops (bench_id, session_id, machine_serial, "
                "machine_uuid, hostname, status, joined_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (bench.bench_id, session.session_id, machine_serial, machine_uuid, name,
                 utc_now_text()),
            )  # fmt: skip
        elif found.session_id != session.session_id:
            raise Problem(403, "classroom_expired", REFUSALS_FR["expired"])
        laptop = _laptop_tx(tx, bench.bench_id)
    assert laptop is not None
    return laptop, session


def _laptop_tx(tx: Tx, bench_id: str) -> Laptop | None:
    row = tx.row(
        f"SELECT {_LAPTOP} FROM classroom_laptops l JOIN benches b "  # noqa: S608
        "ON b.bench_id = l.bench_id WHERE l.bench_id = ?",
        (bench_id,),
    )
    return None if row is None else _laptop(row)


def laptop(db: Database, bench_id: str) -> Laptop | None:
    with db.transaction() as tx:
        return _laptop_tx(tx, bench_id)


def laptops(db: Database, session_id: str) -> list[Laptop]:
    with db.transaction() as tx:
        rows = tx.rows(
            f"SELECT {_LAPTOP} FROM classroom_laptops l JOIN benches b "  # noqa: S608
            "ON b.bench_id = l.bench_id WHERE l.session_id = ? ORDER BY l.joined_at",
            (session_id,),
        )
    return [_laptop(row) for row in rows]


def decide(db: Database, bench_id: str, approve: bool, by: str) -> Laptop:
    """The supervisor's decision on a laptop of the open session, kept with who and when."""
    now = utc_now_text()
    with db.transaction(write=True) as tx:
        laptop = _laptop_tx(tx, bench_id)
        session = _open_tx(tx)
        if laptop is None:
            raise Problem(404, "unknown_laptop", f"aucun portable {bench_id!r} dans la salle")
        if session is None or laptop.session_id != session.session_id:
            raise Problem(409, "classroom_expired", REFUSALS_FR["expired"])
        status = "approved" if approve else "refused"
        tx.run(
            "UPDATE classroom_laptops SET status = ?, decided_by = ?, decided_at = ? "
            "WHERE bench_id = ?",
            (status, by, now, bench_id),
        )
        tx.run(
            "UPDATE benches SET status = ?, decided_at = ? WHERE bench_id = ?",
            ("approved" if approve else "revoked", now, bench_id),
        )
        decided = _laptop_tx(tx, bench_id)
    assert decided is not None
    return decided


def refusal(tx: Tx, bench_ids: list[str]) -> dict[str, Problem]:
    """For the laptops among `bench_ids` not approved now: the French refusal of their
    records (403), by bench id."""
    found: dict[str, Problem] = {}
    for bench_id in bench_ids:
        row = tx.row("SELECT status FROM classroom_laptops WHERE bench_id = ?", (bench_id,))
        if row is not None and str(row[0]) in REFUSALS_FR:
            status = str(row[0])
            code = {"pending": "key_not_approved", "refused": "key_revoked",
                    "expired": "classroom_expired"}[status]  # fmt: skip
            found[bench_id] = Problem(403, code, REFUSALS_FR[status])
    return found
