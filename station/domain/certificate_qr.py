"""The QR code printed on a certificate: compact JSON naming the bench, its key id, the
records' ids and (when configured) the inventory URL. Enough for a third party holding
the certificate JSON or the bench's exported chain to check the printed document offline
with `station verify --qr`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from station.errors import RecordError

QR_TYPE = "station-certificate/1"


@dataclass(frozen=True)
class QrClaim:
    bench_id: str
    keyid: str
    record_ids: list[str]
    url: str | None = None


def qr_payload(claim: QrClaim) -> str:
    data: dict[str, Any] = {
        "t": QR_TYPE,
        "bench": claim.bench_id,
        "key": claim.keyid,
        "ids": claim.record_ids,
    }
    if claim.url:
        data["url"] = claim.url
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def parse_qr_payload(text: str) -> QrClaim:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise RecordError(f"QR payload is not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("t") != QR_TYPE:
        raise RecordError(f"QR payload is not a Station certificate ({QR_TYPE})")
    ids = data.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise RecordError("QR payload: 'ids' must be a non-empty list of record ids")
    bench, key, url = data.get("bench"), data.get("key"), data.get("url")
    if not isinstance(bench, str) or not isinstance(key, str):
        raise RecordError("QR payload: 'bench' and 'key' must be text")
    return QrClaim(bench, key, ids, url if isinstance(url, str) else None)
