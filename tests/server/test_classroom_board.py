"""The classroom status board over real HTTP on 127.0.0.1: laptops post their state, the
supervisor's page and status.json show the last word of each; bad posts get a 400 that
says why and change nothing; the reporter a laptop uses posts the final state."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
import requests

from station.classroom.board import StatusBoard
from station.classroom.conduct import SessionPlan, conduct
from station.classroom.http_files import FileServer
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import IMAGE_FILE
from station.sync.classroom_status import StatusReporter

pytestmark = pytest.mark.server


def test_laptops_post_and_the_supervisor_sees_them(tmp_path: Path) -> None:
    board = StatusBoard("CM2 école Jaurès")
    with FileServer(tmp_path, board=board) as server:
        url = f"http://127.0.0.1:{server.port}/"
        reporter = StatusReporter(url, "PC-07")
        reporter.say("joined")
        reporter.frame("multicast", 4)
        reporter.frame("http", 4)
        reporter.say("failed", reason="la lecture de contrôle <diffère>")
        reporter.close()
        ok = requests.post(url + "status", json={"laptop": "PC-08", "state": "done"}, timeout=5)
        stopped = {"laptop": "PC-09", "state": "cancelled", "reason": "arrêté à la demande"}
        requests.post(url + "status", json=stopped, timeout=5)
        counts = board.counts()
        page = requests.get(url, timeout=5)
        rows = requests.get(url + "status.json", timeout=5).json()
    assert ok.status_code == 204
    assert [(r["laptop"], r["state"]) for r in rows] == [
        ("PC-07", "failed"), ("PC-08", "done"), ("PC-09", "cancelled"),
    ]  # fmt: skip
    # A laptop stopped on request is not counted as failed.
    assert (counts["failed"], counts["cancelled"]) == (1, 1)
    assert rows[0]["frames_verified"] == 2 and rows[0]["frames_over_http"] == 1
    assert "échec" in page.text and "terminé" in page.text
    assert "&lt;diffère&gt;" in page.text and "<diffère>" not in page.text


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"not json", "Expecting value"),
        (b'{"laptop": "PC-1", "state": "asleep"}', "'state' must be one of"),
        (b'{"state": "done"}', "'laptop' must name"),
        (b'{"laptop": "PC-1", "state": "done", "frames_verified": -1}', "whole number"),
        (b"[1, 2]", "JSON object"),
    ],
)
def test_bad_posts_are_refused_with_the_reason(tmp_path: Path, body: bytes, why: str) -> None:
    board = StatusBoard()
    with FileServer(tmp_path, board=board) as server:
        answer = requests.post(f"http://127.0.0.1:{server.port}/status", data=body, timeout=5)
    assert answer.status_code == 400 and why in answer.text
    assert board.snapshot() == []


class PostsOnSecondWait(threading.Event):
    """The session's stop event; on the session's second wait a late laptop says done."""

    def __init__(self, board: StatusBoard, late: dict[str, object]) -> None:
        super().__init__()
        self.board, self.late, self.waits = board, late, 0

    def wait(self, timeout: float | None = None) -> bool:
        self.waits += 1
        if self.waits == 2:
            self.board.post(self.late)
        return self.is_set()


@pytest.mark.skipif(shutil.which("udp-sender") is None, reason="udpcast is not installed")
def test_the_session_stays_up_for_the_expected_laptops(tmp_path: Path) -> None:
    """--expect 2: one laptop done is not the end; the late one still finds the server."""
    image = tmp_path / "images" / "classe"
    image.mkdir(parents=True)
    for name in (IMAGE_FILE, FRAMES_FILE):
        (image / name).write_bytes(b"")
    with ClassroomServer(tmp_path, "127.0.0.1", 0) as server:
        server.board.post({"laptop": "PC-1", "state": "done"})
        stop = PostsOnSecondWait(server.board, {"laptop": "PC-2", "state": "done"})
        plan = SessionPlan(
            image, SenderSettings("lo", 20000 + os.getpid() % 20000), 1, start_now=True, expected=2
        )
        counts = conduct(server, plan, say=lambda line: None, stop=stop, poll_s=0)
    # Without `expected` the session ended with PC-1 alone (done 1) and PC-2 found no one.
    assert counts["done"] == 2 and stop.waits >= 2
