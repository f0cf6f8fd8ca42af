"""Donation lots: who gave what, when, how many, which asset tags, and their documents.

A machine belongs to a lot when its asset tag was attached to the lot by hand, or falls
in the lot's asset-tag prefix (and number range, when one is given), or when a bench
recorded the lot's code on one of its disks (DiskSeen.lot). Documents (the donation
agreement, a PDF) are stored in the database, base64 text so SQLite and PostgreSQL keep
them the same way.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from station.domain.clock import utc_now_text
from station.inventory.database import Database
from station.inventory.i18n import N_, _
from station.inventory.problems import Problem
from station.reports.wording import parse_day

MIGRATION: list[str] = [
    """CREATE TABLE lots (
        code TEXT PRIMARY KEY,
        donor TEXT NOT NULL,
        received_on TEXT NOT NULL,
        expected_count INTEGER,
        tag_prefix TEXT,
        tag_from INTEGER,
        tag_to INTEGER,
        notes TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE lot_machines (
        asset_tag TEXT PRIMARY KEY,
        lot_code TEXT NOT NULL REFERENCES lots (code),
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL
    )""",
    """CREATE TABLE lot_documents (
        sha256 TEXT NOT NULL,
        lot_code TEXT NOT NULL REFERENCES lots (code),
        filename TEXT NOT NULL,
        content_b64 TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (lot_code, sha256)
    )""",
]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
TAG_PATTERN = r"^[^\x00-\x1f]{1,64}$"
_COLUMNS = (
    "code, donor, received_on, expected_count, tag_prefix, tag_from, tag_to, notes, "
    "created_by, created_at"
)


@dataclass(frozen=True)
class Lot:
    code: str
    donor: str
    received_on: date
    expected_count: int | None = None
    tag_prefix: str | None = None
    tag_from: int | None = None
    tag_to: int | None = None
    notes: str = ""
    created_by: str = ""
    created_at: str = ""

    @property
    def received_text(self) -> str:
        return self.received_on.strftime("%d/%m/%Y")

    @property
    def range_text(self) -> str:
        prefix = self.tag_prefix or ""
        if self.tag_from is not None and self.tag_to is not None:
            return f"{prefix}{self.tag_from} à {prefix}{self.tag_to}"
        return f"{prefix}…" if prefix else "—"

    def holds(self, asset_tag: str) -> bool:
        """True when `asset_tag` falls in this lot's prefix (and number range)."""
        if not self.tag_prefix and self.tag_from is None:
            return False
        prefix = self.tag_prefix or ""
        if not asset_tag.startswith(prefix):
            return False
        if self.tag_from is None or self.tag_to is None:
            return True
        rest = asset_tag[len(prefix) :]
        return rest.isdigit() and self.tag_from <= int(rest) <= self.tag_to


@dataclass(frozen=True)
class Document:
    sha256: str
    filename: str
    size_bytes: int
    added_by: str
    added_at: str


@dataclass
class LotInput:
    """What the lot form sends, checked by `parse_lot` (French reasons)."""

    code: str
    donor: str
    received_on: str
    expected_count: str = ""
    tag_prefix: str = ""
    tag_from: str = ""
    tag_to: str = ""
    notes: str = ""
    errors: list[str] = field(default_factory=list)


def _number(text: str, what: str, errors: list[str]) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        errors.append(_("%(what)s : un nombre entier positif, sans espace.") % {"what": _(what)})
        return None
    return int(text)


def parse_lot(form: LotInput, created_by: str) -> Lot | None:
    """A Lot, or None with `form.errors` saying what to fix."""
    errors = form.errors
    if not re.fullmatch(CODE_PATTERN, form.code):
        errors.append(_("Code du lot : lettres, chiffres, « . », « _ » ou « - », sans espace."))
    if not form.donor or len(form.donor) > 200:
        errors.append(_("Donateur : le nom de l'organisation (200 caractères au plus)."))
    try:
        received: date | None = parse_day(form.received_on)
    except ValueError:
        received = None
        errors.append(_("Date de réception : une date (jj/mm/aaaa)."))
    expected = _number(form.expected_count, N_("Nombre attendu"), errors)
    tag_from = _number(form.tag_from, N_("Premier numéro"), errors)
    tag_to = _number(form.tag_to, N_("Dernier numéro"), errors)
    if (tag_from is None) != (tag_to is None):
        errors.append(_("Plage de numéros : donnez le premier et le dernier, ou aucun."))
    elif tag_from is not None and tag_to is not None and tag_from > tag_to:
        errors.append(_("Plage de numéros : le premier est plus grand que le dernier."))
    if form.tag_prefix and not re.fullmatch(TAG_PATTERN, form.tag_prefix):
        errors.append(
            _("Préfixe des étiquettes : 64 caractères au plus, sans caractère de contrôle.")
        )
    if len(form.notes) > 4000:
        errors.append(_("Notes : 4000 caractères au plus."))
    if errors or received is None:
        return None
    return Lot(
        code=form.code,
        donor=form.donor,
        received_on=received,
        expected_count=expected,
        tag_prefix=form.tag_prefix or None,
        tag_from=tag_from,
        tag_to=tag_to,
        notes=form.notes,
        created_by=created_by,
        created_at=utc_now_text(),
    )


def _lot(row: tuple[object, ...]) -> Lot:
    code, donor, received, expected, prefix, first, last, notes, by, at = row
    return Lot(
        code=str(code),
        donor=str(donor),
        received_on=date.fromisoformat(str(received)),
        expected_count=None if expected is None else int(str(expected)),
        tag_prefix=None if prefix is None else str(prefix),
        tag_from=None if first is None else int(str(first)),
        tag_to=None if last is None else int(str(last)),
        notes=str(notes),
        created_by=str(by),
        created_at=str(at),
    )


def add_lot(db: Database, lot: Lot) -> None:
    with db.transaction(write=True) as tx:
        if tx.row("SELECT 1 FROM lots WHERE code = ?", (lot.code,)):
            raise Problem(409, "lot_exists", f"Le lot {lot.code} existe déjà.")
        tx.run(
            f"INSERT INTO lots ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            (
                lot.code,
                lot.donor,
                lot.received_on.isoformat(),
                lot.expected_count,
                lot.tag_prefix,
                lot.tag_from,
                lot.tag_to,
                lot.notes,
                lot.created_by,
                lot.created_at,
            ),
        )


def list_lots(db: Database) -> list[Lot]:
    with db.transaction() as tx:
        rows = tx.rows(f"SELECT {_COLUMNS} FROM lots ORDER BY received_on DESC, code")  # noqa: S608
    return [_lot(row) for row in rows]


def get_lot(db: Database, code: str) -> Lot | None:
    with db.transaction() as tx:
        row = tx.row(f"SELECT {_COLUMNS} FROM lots WHERE code = ?", (code,))  # noqa: S608
    return None if row is None else _lot(row)


def attach_machines(db: Database, code: str, tags: list[str], by: str) -> list[str]:
    """Attach asset tags to a lot (moving them from another lot); the tags refused."""
    refused = [tag for tag in tags if not re.fullmatch(TAG_PATTERN, tag)]
    with db.transaction(write=True) as tx:
        for tag in tags:
            if tag in refused:
                continue
            tx.run("DELETE FROM lot_machines WHERE asset_tag = ?", (tag,))
            tx.run(
                "INSERT INTO lot_machines (asset_tag, lot_code, added_by, added_at) "
                "VALUES (?, ?, ?, ?)",
                (tag, code, by, utc_now_text()),
            )
    return refused


def attached(db: Database) -> dict[str, str]:
    """Asset tag -> lot code, for every machine attached by hand."""
    with db.transaction() as tx:
        rows = tx.rows("SELECT asset_tag, lot_code FROM lot_machines")
    return {str(tag): str(code) for tag, code in rows}


def add_document(db: Database, code: str, filename: str, content: bytes, by: str) -> Document:
    if not content.startswith(b"%PDF-"):
        raise Problem(422, "not_a_pdf", "Le document n'est pas un PDF.")
    digest = hashlib.sha256(content).hexdigest()
    added = Document(digest, filename or "document.pdf", len(content), by, utc_now_text())
    with db.transaction(write=True) as tx:
        tx.run("DELETE FROM lot_documents WHERE lot_code = ? AND sha256 = ?", (code, digest))
        tx.run(
            "INSERT INTO lot_documents (sha256, lot_code, filename, content_b64, size_bytes, "
            "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                digest,
                code,
                added.filename,
                base64.b64encode(content).decode(),
                len(content),
                by,
                added.added_at,
            ),
        )
    return added


def documents(db: Database, code: str) -> list[Document]:
    with db.transaction() as tx:
        rows = tx.rows(
            "SELECT sha256, filename, size_bytes, added_by, added_at FROM lot_documents "
            "WHERE lot_code = ? ORDER BY added_at",
            (code,),
        )
    return [Document(str(a), str(b), int(c), str(d), str(e)) for a, b, c, d, e in rows]


def document_content(db: Database, code: str, sha256: str) -> tuple[str, bytes] | None:
    with db.transaction() as tx:
        row = tx.row(
            "SELECT filename, content_b64 FROM lot_documents WHERE lot_code = ? AND sha256 = ?",
            (code, sha256),
        )
    return None if row is None else (str(row[0]), base64.b64decode(str(row[1])))
