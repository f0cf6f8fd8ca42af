"""The classroom server's HTTP side: one folder served read-only, with byte ranges.

Laptops fetch the live system (kernel, initrd, squashfs for live-boot's `fetch=`) and
the master image from here. Ranges matter: a laptop resumes a dropped download, and one
that missed part of the multicast stream fetches just those frames (RFC 9110 section 14:
one `bytes=a-b`, `a-`, or `-n` range per request, answered 206 with Content-Range; a
range that starts past the end is answered 416). Python's SimpleHTTPRequestHandler
serves whole files only, so the range is handled here. Only files under the folder are
served (the handler's own path translation refuses `..`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO

from station.classroom.board import BadStatus, StatusBoard

log = logging.getLogger(__name__)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
COPY_BLOCK = 1024 * 1024
MAX_POST = 16 * 1024


class RangeHandler(SimpleHTTPRequestHandler):
    """GET/HEAD of files under the folder, with single byte ranges; with a status board,
    `POST /status` from the laptops, `GET /status.json` and the supervisor's page `GET /`."""

    on_request: Callable[[str, str | None], None] | None = None
    board: StatusBoard | None = None
    _range: tuple[int, int] | None = None

    def do_GET(self) -> None:
        if self.board is not None and self.path in ("/", "/status.json"):
            page = self.path == "/"
            body = self.board.page() if page else json.dumps(self.board.snapshot())
            kind = "text/html; charset=utf-8" if page else "application/json"
            self._answer(HTTPStatus.OK, body.encode(), kind)
            return
        super().do_GET()

    def do_POST(self) -> None:
        if self.board is None or self.path != "/status":
            self._answer(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if not 0 < length <= MAX_POST:
                raise BadStatus(f"a status post holds 1 to {MAX_POST} bytes")
            self.board.post(json.loads(self.rfile.read(length)))
        except (ValueError, BadStatus) as exc:  # JSONDecodeError is a ValueError
            self._answer(HTTPStatus.BAD_REQUEST, f"{exc}\n".encode(), "text/plain")
            return
        self._answer(HTTPStatus.NO_CONTENT, b"", "text/plain")

    def _answer(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if self.on_request is not None:
            self.on_request(self.path, self.headers.get("Range"))

    def send_head(self) -> BinaryIO | None:
        self._range = None
        wanted = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if wanted is None or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        match = _RANGE.match(wanted.strip())
        if match is None or match.group(1) == match.group(2) == "":
            return super().send_head()  # not one range: the whole file
        first, last = match.group(1), match.group(2)
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(size - 1, int(last)) if last else size - 1
        if start >= size or end < start:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        handle = path.open("rb")
        handle.seek(start)
        self._range = (start, end)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return handle

    def copyfile(self, source: BinaryIO, outputfile: BinaryIO) -> None:  # type: ignore[override]
        if self._range is None:
            shutil.copyfileobj(source, outputfile, COPY_BLOCK)
            return
        left = self._range[1] - self._range[0] + 1
        while left > 0 and (block := source.read(min(COPY_BLOCK, left))):
            outputfile.write(block)
            left -= len(block)

    def end_headers(self) -> None:
        if self._range is None and self.command in ("GET", "HEAD"):
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A laptop that drops its link mid-answer is ordinary here: it resumes later.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            log.info("client %s went away: %s", client_address, error)
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FileServer:
    """A threaded HTTP server for `folder` on (host, port); port 0 picks a free one."""

    def __init__(
        self,
        folder: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        on_request: Callable[[str, str | None], None] | None = None,
        board: StatusBoard | None = None,
    ) -> None:
        attributes = {"on_request": staticmethod(on_request) if on_request else None}
        handler = functools.partial(
            type("Handler", (RangeHandler,), {**attributes, "board": board}),
            directory=os.fspath(folder),
        )
        self.server = _Server((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> FileServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
