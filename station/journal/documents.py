"""Files that carry signed records, and how each kind is verified offline.

Three shapes are recognised (docs/records.md, "Verifying"):

- one envelope: a JSON object with `payloadType`, `payload` and `signatures`;
- a chain: a JSON list of envelopes, or JSON lines (one envelope per line), as written
  by `station journal export`;
- a certificate: a JSON object embedding envelopes under `envelopes` (a list) or
  `record` (one). The certificates themselves come from station.reports; this module
  only checks the records inside and, when present, that the certificate's
  `record_ids` list names exactly those records (`check_certificate_claims` is the
  hook where further claims of a certificate get checked against the signed bodies).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from station.errors import ConfigError, RecordError
from station.journal.certificate_claims import check_claims
from station.journal.chain import verify_chain, verify_record

Shape = Literal["record", "chain", "certificate"]


@dataclass(frozen=True)
class Verified:
    shape: Shape
    bodies: list[dict[str, Any]]

    def summary(self, lang: str = "en") -> str:
        """One line saying what verified (French with lang="fr")."""
        fr = lang == "fr"
        first = self.bodies[0]
        bench = first.get("bench_id")
        if self.shape == "record":
            rid = str(first.get("record_id"))[:16]
            kind, seq = first.get("kind"), first.get("seq")
            if fr:
                return f"enregistrement valide : {kind} n° {seq} de {bench} ({rid}…)"
            return f"valid record: {kind} seq {seq} of {bench} ({rid}…)"
        if self.shape == "chain":
            count, low, high = len(self.bodies), first.get("seq"), self.bodies[-1].get("seq")
            if fr:
                return f"chaîne valide : {count} enregistrements de {bench}, n° {low} à {high}"
            return f"valid chain: {count} records of {bench}, seq {low} to {high}"
        seqs = ", ".join(str(body.get("seq")) for body in self.bodies)
        count = len(self.bodies)
        if fr:
            return f"certificat valide : {count} enregistrements signés ({bench}, n° {seqs})"
        return f"valid certificate: {count} signed records ({bench}, seq {seqs})"


def load_document(path: Path) -> Any:
    """The JSON in `path` (a JSON-lines file becomes a list)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path} is not UTF-8 text: {exc}") from exc
    try:
        return json.loads(text)
    except ValueError as whole_error:
        lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise RecordError(f"{path} is not JSON: {whole_error}") from whole_error
        items = []
        for number, line in lines:
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise RecordError(f"{path} line {number} is not JSON: {exc}") from exc
        return items


def verify_document(
    document: Any, public_keys: Mapping[str, Ed25519PublicKey], *, from_start: bool = True
) -> Verified:
    """Verify whatever `document` is; raises RecordError (or a subclass) saying what's wrong."""
    if isinstance(document, list):
        report = verify_chain(document, public_keys, from_start=from_start)
        return Verified("chain", report.bodies)
    if isinstance(document, dict) and "payloadType" in document:
        return Verified("record", [verify_record(document, public_keys)])
    if isinstance(document, dict) and ("envelopes" in document or "record" in document):
        return Verified("certificate", verify_certificate(document, public_keys))
    raise RecordError(
        "not a signed record, a chain or a certificate (expected an envelope object, "
        "a list of envelopes, or an object with 'envelopes' or 'record')"
    )


def verify_certificate(
    certificate: Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]
) -> list[dict[str, Any]]:
    embedded = certificate.get("envelopes")
    if embedded is None:
        embedded = [certificate.get("record")]
    if not isinstance(embedded, list) or not embedded:
        raise RecordError("certificate: 'envelopes' must be a non-empty list of envelopes")
    bodies = [
        verify_record(envelope, public_keys, where=f"in certificate record {index}")
        for index, envelope in enumerate(embedded, 1)
    ]
    check_certificate_claims(certificate, bodies)
    return bodies


def check_certificate_claims(certificate: Mapping[str, Any], bodies: list[dict[str, Any]]) -> None:
    """Claims a certificate makes beside its records must match the signed bodies.

    Hook for station.reports: extend it as certificates gain fields (disk serial, result,
    ...); today it checks the optional `record_ids` list.
    """
    claimed = certificate.get("record_ids")
    signed = [body.get("record_id") for body in bodies]
    if claimed is not None and list(claimed) != signed:
        raise RecordError(
            "certificate: its record_ids do not match the signed records it embeds "
            "(the certificate was altered)"
        )
    check_claims(certificate, bodies)  # facts and QR payload (station.reports certificates)
