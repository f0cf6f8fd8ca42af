"""Claims a certificate of erasure makes beside its signed records, checked offline.

A certificate (station.reports) embeds its envelopes, the `facts` it prints, and the QR
payload it prints. `check_claims` recomputes the facts from the verified bodies and
checks the QR payload names exactly those records, that bench and its key: an edited
certificate is refused with the field that was changed. `check_qr` checks a QR payload
scanned from a printed certificate against records verified from any file (the
certificate JSON, or the bench's exported chain).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from station.domain.certificate import certificate_facts, first_difference
from station.domain.certificate_qr import parse_qr_payload
from station.errors import ConfigError, RecordError


def check_claims(certificate: Mapping[str, Any], bodies: Sequence[Mapping[str, Any]]) -> None:
    facts = certificate.get("facts")
    if facts is not None:
        altered = first_difference(facts, certificate_facts(bodies))
        if altered:
            raise RecordError(
                f"certificate: {altered} differs from the signed records (the certificate "
                "was altered)"
            )
    qr = certificate.get("qr")
    if qr is not None:
        if not isinstance(qr, str):
            raise RecordError("certificate: 'qr' must be the QR payload text")
        check_qr(qr, bodies, _signers(certificate.get("envelopes") or []), exact=True)


def check_qr(
    payload: str,
    bodies: Sequence[Mapping[str, Any]],
    signer_keyids: Iterable[str],
    *,
    exact: bool = False,
) -> list[Mapping[str, Any]]:
    """The verified bodies the QR payload names; RecordError when one is missing, or the
    bench or key differ. `exact`: the payload must name every body, in order."""
    claim = parse_qr_payload(payload)
    by_id = {str(body.get("record_id")): body for body in bodies}
    missing = [record_id for record_id in claim.record_ids if record_id not in by_id]
    if missing:
        raise RecordError(
            f"QR payload names {len(missing)} record(s) not among the verified records "
            f"(first: {missing[0][:16]}…)"
        )
    if (
        exact
        and not claim.is_page
        and claim.record_ids != [str(b.get("record_id")) for b in bodies]
    ):
        raise RecordError("QR payload does not name exactly the certificate's records")
    named = [by_id[record_id] for record_id in claim.record_ids]
    if any(body.get("bench_id") != claim.bench_id for body in named):
        raise RecordError(f"QR payload names bench {claim.bench_id!r}, not the records' bench")
    if claim.keyid not in set(signer_keyids):
        raise RecordError(f"QR payload names key {claim.keyid[:16]}…, not the records' signer")
    return named


def _signers(envelopes: Iterable[Any]) -> set[str]:
    return {
        str(entry.get("keyid"))
        for envelope in envelopes
        if isinstance(envelope, Mapping)
        for entry in envelope.get("signatures") or []
        if isinstance(entry, Mapping)
    }


def read_qr_payload(path: Path) -> str:
    """A scanned QR payload saved to a file (scanners often add a newline)."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path} is not UTF-8 text: {exc}") from exc
