"""One laptop's side of the classroom stream: frames from multicast, the rest over HTTP.

The classroom server sends `disk.img.zst` whole with udp-sender; udp-receiver hands the
bytes on in order. `MulticastFrames` reads them frame by frame (hole frames are read
and dropped), checks each frame's sha256 against the frame list, and gives it to the
writer. What the stream does not deliver is fetched over HTTP ranges from the server:

- the stream ends early (the laptop came late and udp-receiver found no session, or its
  link was cut and the sender dropped it): every frame from there comes over HTTP;
- a frame arrives but does not match the frame list: that frame alone is fetched again
  over HTTP (the stream goes on).

Every HTTP range fetched is recorded (`Transport.fallback_ranges`), so the record says
exactly how each laptop was imaged. A frame that does not match over HTTP either stops
the deploy before it is written, as a streamed HTTP deploy does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import IO

from station.errors import ImageError
from station.imaging.frame_list import CheckedFrame
from station.imaging.http_range import RangeFetcher
from station.imaging.net_source import CheckedFrames, Transport
from station.imaging.seek_table import Frame

log = logging.getLogger(__name__)

SKIP_BLOCK = 1024 * 1024


class MulticastFrames:
    """A PackedReader over udp-receiver's output, with HTTP ranges for what it missed."""

    def __init__(
        self,
        stream: IO[bytes],
        image_url: str,
        checked: list[CheckedFrame],
        transport: Transport,
        *,
        cancel: threading.Event | None = None,
        on_frame: Callable[[str, int], None] | None = None,
    ) -> None:
        self.stream, self.position, self.alive = stream, 0, True
        self.frames = CheckedFrames(checked)
        self.transport = transport
        self.http = RangeFetcher(image_url, cancel=cancel)
        self.on_frame = on_frame
        self.ended_at: int | None = None  # byte of disk.img.zst where the stream stopped

    def __call__(self, frame: Frame) -> bytes:
        expected = self.frames.expected(frame)
        data, via = self._from_stream(frame), "multicast"
        if data is not None:
            try:
                expected.check(data)
            except ImageError as exc:
                log.warning(
                    "multicast frame at %s refused, fetched over HTTP: %s", frame.offset, exc
                )
                data = None
        if data is None:
            data, via = self._from_http(frame), "http"
            expected.check(data)
        self.transport.frames_verified += 1
        if self.on_frame is not None:
            self.on_frame(via, self.transport.frames_total)
        return data

    def _from_stream(self, frame: Frame) -> bytes | None:
        if not self.alive:
            return None
        try:
            while self.position < frame.packed_offset:  # a hole frame: read and drop
                skipped = self.stream.read(min(SKIP_BLOCK, frame.packed_offset - self.position))
                if not skipped:
                    self._ended()
                    return None
                self.position += len(skipped)
            data = self.stream.read(frame.packed_size)
        except OSError as exc:
            log.warning("multicast stream failed at byte %s: %s", self.position, exc)
            self._ended()
            return None
        self.position += len(data)
        if len(data) < frame.packed_size:
            self._ended()
            return None
        return data

    def _ended(self) -> None:
        if self.alive:
            self.alive, self.ended_at = False, self.position
            log.info("multicast stream ended at byte %s: the rest comes over HTTP", self.position)
        return None

    def _from_http(self, frame: Frame) -> bytes:
        start, end = frame.packed_offset, frame.packed_offset + frame.packed_size
        data = self.http.fetch(start, end)
        self.transport.add_fallback(start, end)
        self.transport.http_requests = self.http.stats.requests
        self.transport.http_resumed = self.http.stats.resumed
        return data

    def close(self) -> None:
        self.http.close()
