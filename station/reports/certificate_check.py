"""`station verify cert.pdf`: a printed certificate checked from the PDF alone.

The PDF embeds each certificate's JSON (signed envelopes, facts, QR payload) and the
bench public key. Checking it means: the envelopes verify against the bench key, the
facts recomputed from them equal the embedded facts (station.journal.documents), and
page 1 of that certificate prints those facts word for word (`printed_claims`). A PDF
whose embedded records or printed text were changed is refused, naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from station.domain.certificate import certificate_facts
from station.errors import ConfigError, RecordError
from station.journal.documents import verify_certificate
from station.journal.envelope import key_id
from station.journal.keys import parse_public_key
from station.reports.certificate_pdf import CERTIFICATE_FILE, KEY_FILE
from station.reports.certificate_rows import printed_claims


@dataclass(frozen=True)
class PdfEvidence:
    certificates: list[dict[str, Any]]
    keys: dict[str, Ed25519PublicKey]  # the embedded bench keys, by keyid
    pages: list[str]  # each page's text


@dataclass(frozen=True)
class CheckedPdf:
    count: int
    records: int
    keyids: list[str]

    def summary(self, lang: str = "en") -> str:
        keys = ", ".join(k[:16] + "…" for k in self.keyids)
        if lang == "fr":
            return (
                f"certificat PDF valide : {self.count} certificat(s), {self.records} "
                f"enregistrements signés, les faits imprimés concordent (clé {keys})"
            )
        return (
            f"valid certificate PDF: {self.count} certificate(s), {self.records} signed "
            f"records, printed facts match (key {keys})"
        )


def is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


def read_evidence(path: Path) -> PdfEvidence:
    """The certificates and keys a PDF embeds, and its pages' text."""
    try:
        reader = PdfReader(path)
        attachments = reader.attachments
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError) as exc:
        raise RecordError(f"{path}: unreadable PDF: {exc}") from exc
    certificates, keys = [], {}
    for name, contents in sorted(attachments.items()):
        for content in contents:
            if name.endswith(CERTIFICATE_FILE):
                try:
                    certificates.append(json.loads(content.decode("utf-8")))
                except (UnicodeDecodeError, ValueError) as exc:
                    raise RecordError(f"{path}: embedded {name} is not JSON: {exc}") from exc
            elif name.endswith(KEY_FILE):
                key = parse_public_key(content, f"embedded {name}", RecordError)
                keys[key_id(key)] = key
    if not certificates:
        raise RecordError(
            f"{path}: this PDF embeds no signed records ({CERTIFICATE_FILE}): it was not "
            "made by `station certificate`, or its attachments were removed"
        )
    return PdfEvidence(certificates, keys, pages)


def verify_pdf(path: Path, public_keys: Mapping[str, Ed25519PublicKey]) -> CheckedPdf:
    """Every embedded certificate verified against `public_keys`, and its page 1 shown
    to print the facts its signed records state."""
    evidence = read_evidence(path)
    records, keyids = 0, []
    for index, certificate in enumerate(evidence.certificates, 1):
        bodies = verify_certificate(certificate, public_keys)
        facts = certificate_facts(bodies)
        page = _page_of(evidence.pages, certificate, index)
        lang = "en" if certificate.get("lang") == "en" else "fr"
        for field, expected in printed_claims(facts, lang):
            if not _shows(page, expected):
                raise RecordError(
                    f"printed {field}: page 1 does not show {expected!r}, which its signed "
                    "records state (the printed certificate was altered)"
                )
        records += len(bodies)
        keyids.append(str((certificate.get("bench_key") or {}).get("keyid")))
    return CheckedPdf(len(evidence.certificates), records, sorted(set(keyids)))


def _page_of(pages: list[str], certificate: Mapping[str, Any], index: int) -> str:
    """Page 1 of this certificate: the page naming its number (anchor id prefix)."""
    anchor = str((certificate.get("record_ids") or [""])[-1])
    ids = [str(i) for i in certificate.get("record_ids") or []]
    wanted = {record_id[:16] for record_id in ids} | {anchor[:16]}
    for text in pages:
        found = re.search(r"n° ([0-9a-f]{16})|No\. ([0-9a-f]{16})", text)
        if found and (found.group(1) or found.group(2)) in wanted:
            return _normal(text)
    raise RecordError(
        f"certificate {index}: no page of the PDF prints its number "
        "(the printed certificate was altered or is missing)"
    )


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _shows(page: str, expected: str) -> bool:
    wanted = re.escape(_normal(expected))
    return re.search(rf"(?<![\w-]){wanted}(?![\w-])", page) is not None
