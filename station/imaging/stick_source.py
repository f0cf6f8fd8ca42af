"""A Format 1 image read from the Station stick, which can be pulled mid-deploy (issue 20).

The deploy checked the whole `disk.img.zst` against the manifest before writing, then
reads it frame by frame. When a read fails because the stick was pulled, `StickFrames`
says so (`on_wait(True)`: the screen shows « en pause : clé retirée »), waits for the
stick to be back and mounted again, reopens the file and reads the same frame again:
the deploy goes on from where it stopped, its disks untouched meanwhile. From the return
on, every frame is checked against the frame list (`disk.frames`, itself in the
manifest) before it is handed on: the stick put back may not hold the same image, and
nothing that was not published reaches a disk.

A read error while the stick is still there is a real one (a damaged stick): it fails
the deploy as before. So does a cancel while waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Protocol

from station.domain.progress import ProgressEvent, ProgressSink
from station.errors import ImageError, JobCancelled
from station.imaging.bmap import BlockMap
from station.imaging.frame_list import CheckedFrame
from station.imaging.net_source import CheckedFrames, Transport
from station.imaging.raw_create import IMAGE_FILE
from station.imaging.raw_deploy import frames_with_data, write_frames
from station.imaging.seek_table import Frame
from station.imaging.stream_writer import TargetRun

log = logging.getLogger(__name__)


class StickWait(Protocol):
    """How the deploy learns about the stick holding its image (station.wiring)."""

    def gone(self) -> bool:
        """The stick has been pulled (asked after a read failed)."""
        ...

    def wait_back(self, cancel: threading.Event | None) -> bool:
        """Block until the stick is back and mounted again (True), or `cancel` (False)."""
        ...


class StickFrames:
    """A PackedReader over `disk.img.zst` on the stick that waits out a pull (module)."""

    def __init__(
        self,
        path: Path,
        checked: list[CheckedFrame],
        stick: StickWait,
        on_wait: Callable[[bool], None],
        cancel: threading.Event | None = None,
    ) -> None:
        self.path = path
        self.frames = CheckedFrames(checked)
        self.stick = stick
        self.on_wait = on_wait
        self.cancel = cancel
        self.pauses = 0  # how many times the stick was waited for
        self.frames_checked = 0  # frames checked against the frame list (after a return)
        self._file: BinaryIO | None = None

    def __call__(self, frame: Frame) -> bytes:
        while True:
            try:
                data = self._read(frame)
            except OSError as exc:
                self.close()
                if not self.stick.gone():
                    raise ImageError(
                        f"{self.path}: cannot read the image at byte {frame.packed_offset}: "
                        f"{exc.strerror or exc}",
                        french=f"{self.path} : lecture de l'image impossible : "
                        f"{exc.strerror or exc}",
                    ) from exc
                self._wait_for_the_stick(exc)
                continue
            if self.pauses:
                # Another stick may have come back: only published bytes go on.
                self.frames.expected(frame).check(data)
                self.frames_checked += 1
            return data

    def close(self) -> None:
        if self._file is not None:
            with suppress(OSError):  # a file on a stick that is gone
                self._file.close()
            self._file = None

    def _read(self, frame: Frame) -> bytes:
        if self._file is None:
            self._file = self.path.open("rb")
        self._file.seek(frame.packed_offset)
        return self._file.read(frame.packed_size)

    def _wait_for_the_stick(self, exc: OSError) -> None:
        log.warning("image stick pulled mid-deploy (%s): waiting for it", exc)
        self.pauses += 1
        self.on_wait(True)
        back = self.stick.wait_back(self.cancel)
        self.on_wait(False)
        if not back:
            raise JobCancelled("stopped while waiting for the Station stick")
        log.info("image stick back: the deploy goes on, each frame checked")


class StickDeploy:
    """The writer of a local deploy from the stick that waits out a pull (StickFrames).
    Every progress event passed through `events` says whether it waits (the disks still
    write the pieces decoded before the pull meanwhile: their ticks must not clear it);
    the record's transport says the stick was pulled and how many frames were checked
    after."""

    def __init__(
        self,
        folder: Path,
        checked: list[CheckedFrame],
        stick: StickWait,
        on_event: ProgressSink | None,
        targets: list[str],
        cancel: threading.Event | None,
    ) -> None:
        self.on_event = on_event
        self.label = ", ".join(targets)
        self.done = self.total = 0
        self.is_waiting = False
        self.checked = checked
        self.cancel = cancel
        self.reader = StickFrames(folder / IMAGE_FILE, checked, stick, self.waiting, cancel)
        self.transport = Transport("local", str(folder))

    def writer(
        self, block_map: BlockMap, runs: list[TargetRun]
    ) -> Callable[[Callable[[int], None]], None]:
        self.total = block_map.image_size
        frames = [c.frame for c in self.checked]

        def write(tick: Callable[[int], None]) -> None:
            def counted(done: int) -> None:
                self.done = done
                tick(done)

            try:
                write_frames(self.reader, frames, block_map, runs, tick=counted, cancel=self.cancel)
            finally:
                self.reader.close()
                self.transport.frames_total = frames_with_data(frames, block_map.spans())
                self.transport.frames_verified = self.reader.frames_checked
                self.transport.note = (
                    f"the Station stick was pulled {self.reader.pauses} time(s) mid-deploy; "
                    "every frame read after its return was checked against the frame list"
                )

        return write

    def events(self, event: ProgressEvent) -> None:
        """The deploy's progress sink: each event says whether the deploy waits."""
        if self.on_event is not None:
            self.on_event(replace(event, waiting_for_stick=self.is_waiting))

    def waiting(self, flag: bool) -> None:
        """The deploy waits for the stick (or no longer does): tell the screen now."""
        self.is_waiting = flag
        self.events(
            ProgressEvent("deploy", self.done, self.total, 0.0, None, 0.0, 1, 2, self.label)
        )
