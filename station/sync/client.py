"""HTTP client of the inventory server (requests, explicit timeouts, idempotent POSTs).

Each POST of a record carries `Idempotency-Key: <record_id>`, and the server answers a
record it already holds with success: that is what makes retrying a POST safe, so the
transport is told to retry POST too (urllib3 does not by default). Longer outages are the
pusher's business (capped backoff), not the transport's.

Errors, all SyncError (exit 10):
    ServerUnreachable   no answer: refused connection, DNS, timeout
    ServerUnavailable   an answer that says "later": 5xx, 429
    RecordRefused       a 4xx about the request itself: status, code, reason, expected_seq
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from station.errors import SyncError
from station.journal.signed_requests import read_authorization, signed_enrolment, signed_join
from station.journal.store import OutboxItem
from station.sync.refusals import refusal_in_french, unavailable_in_french, unreachable_in_french

URL_ENV = "STATION_INVENTORY_URL"
# (connect, read): a dead server is noticed in seconds; a busy one gets time to answer.
DEFAULT_TIMEOUT = (3.05, 30.0)


class ServerUnreachable(SyncError):
    pass


class ServerUnavailable(SyncError):
    pass


class RecordRefused(SyncError):
    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        self.status = status
        self.code = str(answer.get("error", "refused"))
        self.detail = str(answer.get("detail", ""))
        expected = answer.get("expected_seq")
        self.expected_seq = expected if isinstance(expected, int) else None
        index = answer.get("index")
        self.index = index if isinstance(index, int) else None
        # The pusher names the record by its seq; the batch position adds nothing.
        self.detail = self.detail.removeprefix(f"envelope {self.index}: ")
        super().__init__(
            f"the inventory refused it ({status} {self.code}): {self.detail}",
            french=refusal_in_french(status, self.code),
        )


@dataclass(frozen=True)
class Pushed:
    record_id: str
    seq: int
    duplicate: bool  # the server already had it (a retry after a lost answer)


def server_url(explicit: str | None) -> str | None:
    """`--server` wins over STATION_INVENTORY_URL; None when neither is set."""
    chosen = explicit or os.environ.get(URL_ENV) or None
    return chosen.rstrip("/") if chosen else None


def _session() -> requests.Session:
    session = requests.Session()
    retry = Retry(
        total=2, connect=2, read=1, status=2, backoff_factor=0.2,
        allowed_methods=frozenset({"GET", "POST"}), status_forcelist=(502, 503, 504),
        raise_on_status=False, respect_retry_after_header=False,
    )  # fmt: skip
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


class InventoryClient:
    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        key: Ed25519PrivateKey | None = None,
        ca_file: Path | None = None,
    ) -> None:
        """`key` signs this bench's reads (the server answers reads only with credentials)."""
        self.key = key
        self.base_url = base_url.rstrip("/")
        self.session = session or _session()
        if ca_file is not None:
            # The workshop's own CA (bench profile `inventory_ca`) instead of the system's.
            self.session.verify = str(ca_file)
        self.timeout = timeout

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if method == "GET" and self.key is not None:
            headers = kwargs.setdefault("headers", {})
            headers["Authorization"] = read_authorization(self.key, method, path)
        try:
            response = self.session.request(
                method, self.base_url + path, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ServerUnreachable(
                f"inventory {self.base_url} unreachable: {type(exc).__name__}",
                french=unreachable_in_french(self.base_url),
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ServerUnavailable(
                f"inventory {self.base_url} answered {response.status_code}: {response.text[:200]}",
                french=unavailable_in_french(self.base_url, response.status_code),
            )
        if response.status_code >= 400:
            raise RecordRefused(response.status_code, _json_object(response))
        return response

    def push(self, item: OutboxItem) -> Pushed:
        """POST one envelope; success whether it was stored now or already held."""
        response = self._call(
            "POST", "/v1/records", json=item.envelope, headers={"Idempotency-Key": item.record_id}
        )
        answer = _json_object(response)
        return Pushed(item.record_id, item.seq, answer.get("status") == "duplicate")

    def push_batch(self, items: Sequence[OutboxItem]) -> list[Pushed]:
        """POST envelopes in seq order, all or nothing (the server's batch transaction)."""
        response = self._call(
            "POST", "/v1/records/batch", json={"envelopes": [item.envelope for item in items]}
        )
        results = _json_object(response).get("results", [])
        if not isinstance(results, list) or len(results) != len(items):
            raise ServerUnavailable(
                "the inventory answered a batch with the wrong result count",
                french=unavailable_in_french(self.base_url, None),
            )
        return [
            Pushed(item.record_id, item.seq, result.get("status") == "duplicate")
            for item, result in zip(items, results, strict=True)
        ]

    def enrol(self, bench_id: str, name: str, key: Ed25519PrivateKey) -> dict[str, Any]:
        """Present this bench's public key, signed by it (proof that the bench holds it)."""
        response = self._call("POST", "/v1/benches", json=signed_enrolment(key, bench_id, name))
        return _json_object(response)

    def join_classroom(
        self, key: Ed25519PrivateKey, serial: str | None, uuid: str | None, hostname: str
    ) -> dict[str, Any]:
        """A netbooted laptop asks to join the open classroom session (signed by `key`)."""
        body = signed_join(key, serial, uuid, hostname)
        return _json_object(self._call("POST", "/v1/classroom/join", json=body))

    def classroom_laptop(self, bench_id: str) -> dict[str, Any]:
        """Where this laptop stands in the session (a read signed with `key`)."""
        return _json_object(self._call("GET", f"/v1/classroom/laptops/{bench_id}"))

    def bench(self, bench_id: str) -> dict[str, Any] | None:
        """What the server knows of this bench (a read signed with `key`); None when it
        was never enrolled."""
        try:
            return _json_object(self._call("GET", f"/v1/benches/{bench_id}"))
        except RecordRefused as exc:
            if exc.status == 404 or exc.code == "unknown_key":
                return None
            raise

    def health(self) -> dict[str, Any]:
        return _json_object(self._call("GET", "/v1/health"))


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"error": "not_json", "detail": response.text[:200]}
    return data if isinstance(data, dict) else {"error": "not_an_object", "detail": str(data)}
