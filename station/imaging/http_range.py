"""Byte ranges of a file on an HTTP server, resumed where a dropped connection left off.

Each `fetch(start, end)` asks for `Range: bytes=start-(end-1)` and insists on a 206 answer
whose Content-Range starts where asked (a server that ignores ranges would otherwise hand
the file from byte 0, and the bytes would land in the wrong place). When the connection
drops or stalls mid-answer, the bytes already received are kept and the next request
asks for the rest only; the attempt count resets whenever bytes arrive, so a flaky link
costs time, not the deploy. A server that keeps refusing ends in ImageError.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3.exceptions

from station.errors import ImageError, JobCancelled

log = logging.getLogger(__name__)

TIMEOUT = (5.0, 30.0)
ATTEMPTS = 6  # consecutive attempts that bring no byte
PAUSES = (0.2, 0.5, 1.0, 2.0, 4.0)


@dataclass
class RangeStats:
    """What the network did, for the deploy record."""

    requests: int = 0
    resumed: int = 0  # requests that continued a range after a dropped connection
    bytes_received: int = 0


class RangeFetcher:
    """Ranges of one URL over one keep-alive session."""

    def __init__(
        self,
        url: str,
        *,
        session: requests.Session | None = None,
        cancel: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url, self.cancel, self.sleep = url, cancel, sleep
        self.session = session or requests.Session()
        self.stats = RangeStats()

    def close(self) -> None:
        self.session.close()

    def fetch(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file."""
        got = bytearray()
        failures: list[str] = []
        while len(got) < end - start:
            if self.cancel is not None and self.cancel.is_set():
                raise JobCancelled(f"cancelled while downloading bytes {start}-{end}")
            before = len(got)
            try:
                self._one_request(start + len(got), end, got, end - start)
            except (
                requests.RequestException,
                urllib3.exceptions.HTTPError,
                OSError,
                _Refused,
            ) as exc:
                failures.append(str(exc))
                log.info("range %s-%s of %s: %s", start + len(got), end, self.url, exc)
            if len(got) > before:
                failures.clear()  # progress: the link works, keep going
            elif len(failures) >= ATTEMPTS:
                raise ImageError(
                    f"{self.url}: bytes {start + len(got)}-{end} could not be downloaded "
                    f"after {ATTEMPTS} attempts ({failures[-1]})"
                )
            if len(got) < end - start:
                self.stats.resumed += 1
                self.sleep(PAUSES[min(len(failures), len(PAUSES) - 1)] if failures else 0.0)
        return bytes(got)

    def _one_request(self, start: int, end: int, into: bytearray, total: int) -> None:
        """Append bytes [start, end) to `into` (which ends up `total` long) as they come."""
        self.stats.requests += 1
        headers = {"Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"}
        with self.session.get(self.url, headers=headers, stream=True, timeout=TIMEOUT) as answer:
            if answer.status_code == 416 or answer.status_code == 404:
                raise ImageError(f"{self.url}: the server answered {answer.status_code}")
            if answer.status_code != 206:
                raise _Refused(f"the server answered {answer.status_code}, not 206 (a range)")
            announced = answer.headers.get("Content-Range", "")
            if not announced.startswith(f"bytes {start}-"):
                raise _Refused(f"the server sent Content-Range {announced!r} for byte {start}")
            for block in answer.raw.stream(256 * 1024, decode_content=False):
                room = total - len(into)
                into += block[:room]
                self.stats.bytes_received += min(len(block), room)
                if len(into) >= total:
                    return


def answers_ranges(url: str) -> bool:
    """Whether the server answers a byte range of `url` with 206 (Python's plain
    http.server, some proxies and mirrors send the whole file instead). ImageError when
    the server cannot be reached or does not have the file."""
    try:
        with requests.get(
            url, headers={"Range": "bytes=0-0", "Accept-Encoding": "identity"},
            stream=True, timeout=TIMEOUT,
        ) as answer:  # fmt: skip
            if answer.status_code in (404, 410):
                raise ImageError(f"{url}: the server answered {answer.status_code}")
            return answer.status_code == 206
    except requests.RequestException as exc:
        raise ImageError(f"{url}: the server cannot be reached ({exc})") from exc


class _Refused(Exception):
    """An answer that cannot be used; retried like a dropped connection."""
