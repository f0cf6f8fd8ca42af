"""The QR code printed on a certificate.

With an inventory server configured, the QR is the URL of the certificate's French
verification page, which a phone opens: `URL/verification/<record id>?poste=<bench>&cle=<key id>`
(the record is the disk session's last one). Without a server it is compact JSON naming
the bench, its key id and every record id. Either form lets a third party holding the
certificate JSON or the bench's exported chain check the printed document offline with
`station verify --qr`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from station.errors import RecordError

QR_TYPE = "station-certificate/1"
PAGE_PATH = "/verification/"
_PAGE = re.compile(r"/verification/([0-9a-f]{64})$")


@dataclass(frozen=True)
class QrClaim:
    bench_id: str
    keyid: str
    record_ids: list[str]
    url: str | None = None

    @property
    def is_page(self) -> bool:
        """The QR is a page URL: it names the session's last record, not all of them."""
        return self.url is not None and _PAGE.search(urlsplit(self.url).path) is not None


def page_url(server: str, record_id: str, bench_id: str, keyid: str) -> str:
    """The verification page of the certificate whose session ends with `record_id`."""
    return (
        f"{server.rstrip('/')}{PAGE_PATH}{record_id}?poste={quote(bench_id, safe='')}&cle={keyid}"
    )


def qr_payload(claim: QrClaim) -> str:
    if claim.url and claim.is_page:
        return claim.url
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
    if text.startswith(("http://", "https://")):
        return _parse_page_url(text)
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


def _parse_page_url(text: str) -> QrClaim:
    parts = urlsplit(text)
    found = _PAGE.search(parts.path)
    query = parse_qs(parts.query)
    bench, key = query.get("poste", [""])[0], query.get("cle", [""])[0]
    if not found or not bench or not key:
        raise RecordError(
            "QR payload: a URL must be a Station verification page "
            "(/verification/<record id>?poste=...&cle=...)"
        )
    return QrClaim(bench, key, [found.group(1)], text)
