"""The bench side of the key pool over HTTP: signed reserve, assignment and release calls.

Each call's body is signed with the bench key (a DSSE envelope, as records are), so the
inventory knows which bench asks; only a reservation answer carries full keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests

from station.errors import SyncError
from station.journal.envelope import sign_body
from station.journal.keys import BenchKey

TIMEOUT = (3.05, 30.0)


class KeyPoolClient:
    def __init__(self, url: str, key: BenchKey) -> None:
        self.url, self.key = url.rstrip("/"), key
        self.http = requests.Session()

    def _post(self, path: str, envelope: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = self.http.post(self.url + path, json=envelope, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise SyncError(f"inventory {self.url} unreachable: {exc}") from exc
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code >= 300:
            detail = data.get("detail", answer.text[:200]) if isinstance(data, dict) else ""
            raise SyncError(f"the inventory refused {path} ({answer.status_code}): {detail}")
        if not isinstance(data, dict):
            raise SyncError(f"the inventory answered {path} with something else than an object")
        return data

    def _signed(self, kind: str, **fields: Any) -> dict[str, Any]:
        body = {
            "kind": kind,
            "bench_id": self.key.bench_id,
            "created_at": datetime.now(UTC).isoformat(),
            **fields,
        }
        return sign_body(body, self.key.private_key)

    def reserve(self, *, pool: str, product: str, count: int) -> list[tuple[str, str]]:
        envelope = self._signed("key_reservation", pool=pool, product=product, count=count)
        data = self._post("/v1/keys/reserve", envelope)
        return [(str(k["key_sha256"]), str(k["product_key"])) for k in data.get("keys", [])]

    def report_assignment(self, envelope: dict[str, Any]) -> None:
        self._post("/v1/keys/assignments", envelope)

    def release(self, digests: list[str], *, quarantine: bool) -> None:
        action = "quarantine" if quarantine else "return"
        self._post("/v1/keys/release", self._signed("key_release", keys=digests, action=action))
