"""The server side of a classroom session: files over HTTP, one multicast stream, the board.

`ClassroomServer` serves one folder over HTTP (the live system and the image folders,
with byte ranges, http_files.py), keeps the status board laptops post to (board.py), and
starts udp-sender for an image when the supervisor says so (or when enough laptops
joined). Only a Format 1 image with its frame list is streamed: a laptop must be able to
check every frame it receives.
"""

from __future__ import annotations

import logging
from pathlib import Path

from station.classroom.board import StatusBoard
from station.classroom.http_files import FileServer
from station.devices import udpcast
from station.devices.udpcast import SenderSettings, UdpProcess
from station.errors import ImageError
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import IMAGE_FILE

log = logging.getLogger(__name__)


class ClassroomServer:
    def __init__(self, root: Path, host: str, port: int = 0, title: str = "") -> None:
        self.root = root
        self.board = StatusBoard(title)
        self.http = FileServer(root, host, port, board=self.board)
        self.sender: UdpProcess | None = None

    @property
    def url(self) -> str:
        host = self.http.server.server_address[0]
        return f"http://{host!s}:{self.http.port}/"

    def start(self) -> ClassroomServer:
        self.http.start()
        log.info("classroom server on %s, serving %s", self.url, self.root)
        return self

    def stream(self, image_folder: Path, settings: SenderSettings) -> UdpProcess:
        """Start udp-sender for the image in `image_folder` (under the served root)."""
        reason = udpcast.missing_tool("udp-sender")
        if reason is not None:
            raise ImageError(reason)
        for name in (IMAGE_FILE, FRAMES_FILE):
            if not (image_folder / name).is_file():
                raise ImageError(
                    f"{image_folder}: no {name}; laptops could not check the frames they "
                    "receive (make the image again with station image create)"
                )
        self.sender = udpcast.start(settings.argv(image_folder / IMAGE_FILE), stdout_pipe=False)
        return self.sender

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.stop()
        self.http.stop()

    def __enter__(self) -> ClassroomServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
