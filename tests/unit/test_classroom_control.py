"""The classroom session's control (station/classroom/control.py) on a real classroom
server on 127.0.0.1: what it refuses before starting, and a session « quand N portables
sont prêts » that nobody joins ends in `failed` with the reason instead of streaming to
nobody. (Broke it once: without the check in conduct, the session went on to stream and
the test fails.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.classroom.control import SessionControl
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.errors import UsageError
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import IMAGE_FILE


@pytest.fixture
def control(tmp_path: Path) -> Iterator[SessionControl]:
    folder = tmp_path / "images" / "classe"
    folder.mkdir(parents=True)
    (folder / IMAGE_FILE).write_bytes(b"x")
    (folder / FRAMES_FILE).write_text("[]")
    with ClassroomServer(tmp_path, "127.0.0.1", 0) as server:
        made = SessionControl(server, SenderSettings("lo", 9000), poll_s=0.05)
        yield made
        made.cancel()
        made.wait(30)


@pytest.mark.parametrize(
    ("image", "laptops", "wait", "said"),
    [
        ("autre", 2, 60, "image inconnue"),
        ("../images", 2, 60, "image inconnue"),
        ("classe", 0, 60, "nombre de portables"),
        ("classe", 2, 0, "attente des portables"),
    ],
)
def test_what_cannot_start_is_refused_in_french(
    control: SessionControl, image: str, laptops: int, wait: float, said: str
) -> None:
    with pytest.raises(UsageError, match=said):
        control.start(image, laptops, start_now=False, join_wait_s=wait)
    assert not control.running and control.view()["session"]["phase"] == "idle"


def test_one_session_at_a_time_and_cancel(control: SessionControl) -> None:
    control.start("classe", 3, start_now=False, join_wait_s=600)
    with pytest.raises(UsageError, match="déjà en cours"):
        control.start("classe", 3, start_now=False, join_wait_s=600)
    assert control.view()["session"]["phase"] == "waiting"
    assert control.cancel() and control.wait(30)
    assert control.view()["session"]["phase"] == "cancelled" and not control.cancel()


def test_nobody_joined_ends_the_session_with_the_reason(control: SessionControl) -> None:
    control.start("classe", 3, start_now=False, join_wait_s=0.2)
    assert control.wait(30)
    session = control.view()["session"]
    assert session["phase"] == "failed" and "aucun portable inscrit" in session["reason"]
    assert control.server.sender is None  # no udp-sender left waiting
