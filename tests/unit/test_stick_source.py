"""A deploy waiting for its image's stick (station.imaging.stick_source): while it waits,
the disks still write the pieces decoded before the pull, and their progress must not
tell the screen it no longer waits. (The pull itself, on loop devices, is in
tests/tui/test_stick_pause.py.)"""

from __future__ import annotations

import threading
from pathlib import Path

from station.domain.progress import ProgressEvent
from station.imaging.stick_source import StickDeploy


class NeverBack:
    def gone(self) -> bool:
        return True

    def wait_back(self, cancel: threading.Event | None) -> bool:
        return False


def test_progress_while_it_waits_still_says_it_waits(tmp_path: Path) -> None:
    seen: list[ProgressEvent] = []
    deploy = StickDeploy(tmp_path, [], NeverBack(), seen.append, ["/dev/sdz"], None)
    tick = ProgressEvent("deploy", 8 << 20, 96 << 20, 50e6, 2.0, 0.2, 1, 2, "/dev/sdz")
    deploy.events(tick)
    deploy.waiting(True)
    deploy.events(tick)  # a piece decoded before the pull, written now
    deploy.waiting(False)
    deploy.events(tick)
    assert [e.waiting_for_stick for e in seen] == [False, True, True, False, False]
