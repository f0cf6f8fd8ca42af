"""Frames of a Format 1 image read from the network, each checked before it is written.

`HttpFrames` asks the server for each frame holding mapped bytes as one HTTP range (a
dropped connection resumes where it stopped, `http_range.py`); the frame's sha256 is
checked against the frame list (itself in the profile's manifest) before its bytes are
decompressed, so nothing that was not published reaches a disk. A server that sends
other bytes is refused at the first such frame.

`Transport` is what the record says about the way the image came: which transport,
how many frames were checked, which byte ranges of `disk.img.zst` had to be fetched
over HTTP after the multicast stream missed them (multicast.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from station.imaging.frame_list import CheckedFrame
from station.imaging.http_range import RangeFetcher
from station.imaging.seek_table import Frame

TransportKind = Literal["local", "http_stream", "multicast"]


@dataclass
class Transport:
    """How the frames came, for the report and the signed deploy record."""

    kind: TransportKind
    source: str
    frames_total: int = 0  # frames holding mapped bytes (the others are holes)
    frames_verified: int = 0
    fallback_ranges: list[tuple[int, int]] = field(default_factory=list)
    http_requests: int = 0
    http_resumed: int = 0
    note: str | None = None

    def add_fallback(self, start: int, end: int) -> None:
        """Record bytes [start, end) of disk.img.zst fetched over HTTP (merged when adjacent)."""
        if self.fallback_ranges and self.fallback_ranges[-1][1] == start:
            self.fallback_ranges[-1] = (self.fallback_ranges[-1][0], end)
        else:
            self.fallback_ranges.append((start, end))

    def as_record(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "source": self.source,
            "frames_total": self.frames_total,
            "frames_verified": self.frames_verified,
            "fallback_ranges": [list(r) for r in self.fallback_ranges],
            "http_requests": self.http_requests,
            "http_resumed": self.http_resumed,
            "note": self.note,
        }


class CheckedFrames:
    """Frame-list lookup shared by the network sources: the digest of each frame."""

    def __init__(self, checked: list[CheckedFrame]) -> None:
        self.by_offset = {c.frame.packed_offset: c for c in checked}

    def expected(self, frame: Frame) -> CheckedFrame:
        return self.by_offset[frame.packed_offset]


class HttpFrames:
    """A PackedReader over HTTP ranges of `url` (disk.img.zst on the server)."""

    def __init__(
        self,
        url: str,
        checked: list[CheckedFrame],
        transport: Transport,
        *,
        cancel: threading.Event | None = None,
    ) -> None:
        self.fetcher = RangeFetcher(url, cancel=cancel)
        self.frames = CheckedFrames(checked)
        self.transport = transport

    def __call__(self, frame: Frame) -> bytes:
        data = self.fetcher.fetch(frame.packed_offset, frame.packed_offset + frame.packed_size)
        self.frames.expected(frame).check(data)
        self.transport.frames_verified += 1
        self.transport.http_requests = self.fetcher.stats.requests
        self.transport.http_resumed = self.fetcher.stats.resumed
        return data

    def close(self) -> None:
        self.fetcher.close()
