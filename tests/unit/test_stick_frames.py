"""A deploy's image read from the stick: a read error tells a pulled stick from a damaged
one (station.imaging.stick_source with station.wiring.StickWatch).

The pulled-stick paths run on loop devices in tests/tui/test_stick_pause.py; here, the
paths those cannot reach cheaply: a stick that is still there but cannot be read, and a
stick whose node goes only a moment after the failed read."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from station.errors import ImageError, JobCancelled
from station.imaging.frame_list import CheckedFrame
from station.imaging.seek_table import Frame
from station.imaging.stick_source import StickFrames
from station.wiring import MediumState, StickWatch

DATA = b"published frame bytes"
FRAME = Frame(packed_offset=0, packed_size=len(DATA), offset=0, size=4096)
CHECKED = [CheckedFrame(FRAME, hashlib.sha256(DATA).hexdigest())]


def states(*seen: MediumState) -> tuple[list[int], StickWatch]:
    """A StickWatch over a stick seen in these states, one per question, then the last."""
    asked = [0]

    def state() -> MediumState:
        asked[0] += 1
        return seen[min(asked[0], len(seen)) - 1]

    return asked, StickWatch(state, settle_s=2.0)


def test_a_read_error_on_a_stick_still_there_fails_at_once_without_waiting(
    tmp_path: Path,
) -> None:
    unreadable = tmp_path / "disk.img.zst"
    unreadable.mkdir()  # opening it fails with an OSError, as a damaged stick's read
    waits: list[bool] = []
    _, watch = states(MediumState.PRESENT)
    reader = StickFrames(unreadable, CHECKED, watch, waits.append)
    with pytest.raises(ImageError, match="cannot read the image at byte 0") as caught:
        reader(FRAME)
    assert caught.value.french is not None and "lecture de l'image impossible" in (
        caught.value.french
    )
    assert reader.pauses == 0 and waits == [], "a stick still there was waited for"


def test_a_stick_whose_node_goes_a_moment_after_the_read_is_waited_for(tmp_path: Path) -> None:
    image = tmp_path / "disk.img.zst"  # not there yet: the read fails as on a pulled stick
    asked, watch = states(MediumState.PRESENT, MediumState.PRESENT, MediumState.MISSING)
    waits: list[bool] = []

    def on_wait(flag: bool) -> None:
        waits.append(flag)
        if flag:  # the stick comes back with the same image
            image.write_bytes(DATA)
            watch.state = lambda: MediumState.PRESENT

    reader = StickFrames(image, CHECKED, watch, on_wait)
    assert reader(FRAME) == DATA
    assert asked[0] == 3 and waits == [True, False] and reader.pauses == 1
    assert reader.frames_checked == 1, "the frame read after the return was not checked"


def test_another_image_on_the_returned_stick_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "disk.img.zst"
    _, watch = states(MediumState.MISSING)

    def on_wait(flag: bool) -> None:
        if flag:
            image.write_bytes(b"X" * len(DATA))
            watch.state = lambda: MediumState.PRESENT

    reader = StickFrames(image, CHECKED, watch, on_wait)
    with pytest.raises(ImageError):
        reader(FRAME)


def test_stop_while_waiting_for_the_stick_cancels(tmp_path: Path) -> None:
    cancel = threading.Event()
    _, watch = states(MediumState.MISSING)

    def on_wait(flag: bool) -> None:
        if flag:  # the trainee presses stop while the screen says it waits
            cancel.set()

    reader = StickFrames(tmp_path / "gone.img.zst", CHECKED, watch, on_wait, cancel)
    with pytest.raises(JobCancelled, match="waiting for the Station stick"):
        reader(FRAME)
