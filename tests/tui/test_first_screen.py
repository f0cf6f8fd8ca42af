"""The first screen (who is working) is drawn before the bench screen's modules and the
journal are loaded: they are a third of Station's start under QEMU TCG (docs/live-image.md,
"Boot time", fifth pass). Then, without a key pressed, both follow: the journal opened for
the sync, the bench screen's modules imported, and the dashboard comes after the id.

A fresh interpreter (a subprocess): in this test process every module is loaded already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tui

REPO = Path(__file__).resolve().parents[2]

# What the first screen must not wait for: the bench screen, the sequence (deploy,
# imaging, HTTP), the journal (SQLite, the bench key), the PDF kit.
HEAVY = [
    "station.tui.screens.dashboard",
    "station.jobs.bench_sequence",
    "station.journal.store",
    "sqlite_utils",
    "requests",
    "fpdf",
]

PROBE = """
import asyncio, json, sys
from station.cli.tui import bench_app
from station.tui.app import StationApp
from station.tui.screens.login import LoginScreen

HEAVY = {heavy!r}
seen = {{}}
original = StationApp.after_first_screen

def spy(self):
    seen["screen"] = type(self.screen).__name__
    seen["title"] = str(self.screen.query_one("#title").content)
    seen["loaded_before"] = sorted(m for m in HEAVY if m in sys.modules)
    original(self)

StationApp.after_first_screen = spy

async def main():
    app = bench_app(None, "fr", None)
    async with app.run_test(size=(80, 25)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if "loaded_before" in seen:
                break
        seen["loaded_after"] = sorted(m for m in HEAVY if m in sys.modules)
        seen["journal_open"] = "journal" in app.services.__dict__
        await pilot.press("down", "enter")  # the first id, chosen with the arrows
        for _ in range(200):
            await pilot.pause(0.05)
            if type(app.screen).__name__ == "DashboardScreen":
                break
        seen["after_id"] = type(app.screen).__name__

asyncio.run(main())
print(json.dumps(seen))
"""


def test_first_screen_is_drawn_before_the_heavy_modules_then_they_follow(tmp_path):
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data"), "STATION_LANG": "fr"}
    env.pop("STATION_BENCH_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # The real first screen, in French, with nothing heavy loaded yet.
    assert seen["screen"] == "LoginScreen", seen
    assert "qui travaille" in seen["title"], seen
    assert seen["loaded_before"] == [], seen
    # Then, unasked, what the bench needs: the journal and the bench screen's modules.
    assert seen["journal_open"], seen
    assert "station.tui.screens.dashboard" in seen["loaded_after"], seen
    assert "station.journal.store" in seen["loaded_after"], seen
    assert seen["after_id"] == "DashboardScreen", seen
