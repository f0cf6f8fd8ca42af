"""Where a machine went: a destination, recorded by a supervisor as a signed event.

Each destination is a small JSON body (RFC 8785 canonical) naming the machine, the kind
of beneficiary, the organisation, the referring structure, the date and, for a family
only, the file number the referring structure keeps: never a person's name or address.
The body names the supervisor who recorded it, is chained to the previous destination
(`prev`, the sha256 of its canonical body) and signed with the server's own Ed25519 key
(made once, kept in `server_secrets`), so the path from donor to beneficiary can be
checked afterwards like a bench's chain (`verify_destinations`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from station.domain.clock import utc_now_text
from station.inventory.database import Database, Tx
from station.inventory.i18n import N_, _
from station.reports.wording import parse_day

MIGRATION: list[str] = [
    """CREATE TABLE destinations (
        event_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        prev TEXT,
        machine TEXT NOT NULL,
        beneficiary_kind TEXT NOT NULL,
        given_on TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        body TEXT NOT NULL,
        signature TEXT NOT NULL
    )""",
    "CREATE INDEX destinations_machine ON destinations (machine, seq)",
]
# The kinds of beneficiary of the issue, in the order the form offers them.
KINDS: dict[str, str] = {
    "ecole": N_("École"),
    "college": N_("Collège"),
    "association": N_("Association"),
    "famille": N_("Famille (via une structure sociale)"),
    "commune": N_("Commune"),
    "revente": N_("Revente"),
    "recyclage": N_("Recyclage"),
}
FILE_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$"
_KEY_NAME = "destination_key"


@dataclass(frozen=True)
class Destination:
    event_id: str
    seq: int
    machine: str
    kind: str
    organisation: str
    referrer: str
    file_number: str | None
    given_on: date
    recorded_by: str
    recorded_at: str

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def given_text(self) -> str:
        return self.given_on.strftime("%d/%m/%Y")


def _server_key(tx: Tx) -> Ed25519PrivateKey:
    found = tx.row("SELECT value FROM server_secrets WHERE name = ?", (_KEY_NAME,))
    if found is None:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
        tx.run("INSERT INTO server_secrets (name, value) VALUES (?, ?)", (_KEY_NAME, pem))
        return key
    loaded = load_pem_private_key(str(found[0]).encode(), password=None)
    assert isinstance(loaded, Ed25519PrivateKey)
    return loaded


def check_destination(fields: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The destination's body fields from the form, and what is wrong (French)."""
    errors: list[str] = []
    kind = fields.get("kind", "")
    if kind not in KINDS:
        errors.append(_("Type de bénéficiaire : choisissez dans la liste."))
    organisation = fields.get("organisation", "").strip()
    referrer = fields.get("referrer", "").strip()
    number = fields.get("file_number", "").strip()
    if not organisation or len(organisation) > 200:
        errors.append(_("Organisation : son nom (200 caractères au plus)."))
    if len(referrer) > 200:
        errors.append(_("Structure qui oriente : 200 caractères au plus."))
    if kind == "famille":
        if not referrer:
            errors.append(_("Une famille est orientée par une structure sociale : nommez-la."))
        if not re.fullmatch(FILE_NUMBER, number):
            errors.append(
                _(
                    "Numéro de dossier : celui de la structure sociale (lettres, chiffres, "
                    "« / », « - », 32 caractères, sans espace), jamais un nom de personne."
                )
            )
    elif number:
        errors.append(_("Le numéro de dossier ne sert que pour une famille."))
    try:
        given = parse_day(fields.get("given_on", "").strip())
    except ValueError:
        errors.append(_("Date : une date (jj/mm/aaaa)."))
        given = None
    body = {
        "kind": "destination",
        "beneficiary_kind": kind,
        "organisation": organisation,
        "referrer": referrer or None,
        "file_number": number or None,
        "given_on": given.isoformat() if given else None,
    }
    return body, errors


def record_destination(
    db: Database, machine: str, fields: dict[str, Any], recorded_by: str
) -> Destination:
    """Sign and store one destination of `machine` (fields from `check_destination`)."""
    with db.transaction(write=True) as tx:
        head = tx.row("SELECT seq, event_id FROM destinations ORDER BY seq DESC LIMIT 1")
        seq = 1 if head is None else int(head[0]) + 1
        body = {
            **fields,
            "machine": machine,
            "recorded_by": recorded_by,
            "recorded_at": utc_now_text(),
            "seq": seq,
            "prev": None if head is None else str(head[1]),
        }
        canonical = rfc8785.dumps(body)
        event_id = hashlib.sha256(canonical).hexdigest()
        signature = base64.b64encode(_server_key(tx).sign(canonical)).decode()
        tx.run(
            "INSERT INTO destinations (event_id, seq, prev, machine, beneficiary_kind, given_on,"
            " recorded_by, body, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event_id,
                seq,
                body["prev"],
                machine,
                fields["beneficiary_kind"],
                fields["given_on"],
                recorded_by,
                canonical.decode(),
                signature,
            ),
        )
    return _destination(event_id, body)


def _destination(event_id: str, body: dict[str, Any]) -> Destination:
    return Destination(
        event_id=event_id,
        seq=int(body["seq"]),
        machine=str(body["machine"]),
        kind=str(body["beneficiary_kind"]),
        organisation=str(body["organisation"]),
        referrer=str(body.get("referrer") or ""),
        file_number=body.get("file_number"),
        given_on=date.fromisoformat(str(body["given_on"])),
        recorded_by=str(body["recorded_by"]),
        recorded_at=str(body["recorded_at"]),
    )


def destinations(db: Database, machine: str | None = None) -> list[Destination]:
    """Destinations in the order recorded (of one machine, or all)."""
    sql = "SELECT event_id, body FROM destinations"
    params: tuple[str, ...] = ()
    if machine is not None:
        sql += " WHERE machine = ?"
        params = (machine,)
    with db.transaction() as tx:
        rows = tx.rows(sql + " ORDER BY seq", params)
    return [_destination(str(eid), json.loads(str(body))) for eid, body in rows]


def latest_kinds(db: Database) -> dict[str, str]:
    """Each machine's last destination kind (a later record corrects an earlier one)."""
    return {found.machine: found.kind for found in destinations(db)}


def verify_destinations(db: Database) -> str | None:
    """None when every destination's signature, digest and chain hold; else what breaks."""
    with db.transaction(write=True) as tx:
        public = _server_key(tx).public_key()
        rows = tx.rows("SELECT event_id, seq, prev, body, signature FROM destinations ORDER BY seq")
    previous: str | None = None
    for event_id, seq, prev, body, signature in rows:
        canonical = str(body).encode()
        if hashlib.sha256(canonical).hexdigest() != event_id:
            return f"destination {seq}: its body does not match its digest"
        if prev != previous or json.loads(canonical).get("prev") != previous:
            return f"destination {seq}: the chain is broken before it"
        try:
            public.verify(base64.b64decode(str(signature)), canonical)
        except (InvalidSignature, ValueError):
            return f"destination {seq}: the signature does not verify"
        previous = str(event_id)
    return None
