"""The live stick pulled mid-session (issue 20): a French banner says what happened and
that nothing is lost, and new work waits for the stick instead of starting without a
journal. Also: the Linux console's stylesheet (the stick's tty1) is the one applied
there, and the login cursor is drawn in reverse video."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path, PurePath

import pytest
from textual.widgets import OptionList

from station.journal.head import HEAD_FILE
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.tui.app import StationApp, stylesheets
from station.tui.screens.dashboard import DashboardScreen
from station.tui.widgets import AlertLine, MediumBanner
from tests.tui.conftest import wait_for
from tests.tui.test_flows import MARKER, dashboard, make_services, plant_data, text_of

pytestmark = [pytest.mark.tui, pytest.mark.anyio]
MIB = 1024 * 1024


async def test_a_pulled_stick_shows_the_banner_and_work_waits(
    make_loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = make_loop(8 * MIB, name="laptop")
    backing = plant_data(device)
    stick = tmp_path / "sdb3"  # stands for the data partition's device node
    stick.write_text("")
    monkeypatch.setenv("STATION_DATA_DEVICE", str(stick))
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.press(*"stagiaire-01", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        banner = app.screen.query_one("#medium", MediumBanner)
        assert not banner.display
        stick.unlink()  # the stick is pulled: its device node goes away
        await wait_for(pilot, lambda: banner.display, "the banner")
        assert text_of(app, "#medium") == "Clé Station retirée : remettez-la, rien n'est perdu"
        await pilot.press("r")
        await pilot.pause()
        assert "le travail attend son retour" in text_of(app, "#notice")
        assert len(app.screen_stack) == 2, "no confirmation may open with the stick out"
        assert dashboard(app).cancels == {}, "nothing may have started"
        stick.write_text("")  # put back
        await wait_for(pilot, lambda: not banner.display, "the banner to go")
    assert MARKER in backing.read_bytes()[: 2 * MIB]


def test_the_linux_console_gets_its_own_stylesheet() -> None:
    def names(term: str) -> list[str]:
        return [PurePath(p).name for p in stylesheets(term)]

    assert names("xterm-256color") == ["station.tcss"]
    assert names("linux") == ["station.tcss", "linux-console.tcss"]


async def test_on_the_linux_console_the_chosen_id_is_in_reverse_video(
    make_loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "linux")
    services = make_services(tmp_path, [])
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.press("down")
        options = app.screen.query_one(OptionList)
        style = options.get_component_rich_style("option-list--option-highlighted")
        assert style.bgcolor is not None and style.bgcolor.triplet is not None
        assert style.bgcolor.triplet.hex == "#ffffff", style


async def test_an_unreadable_chain_head_is_shown_until_the_supervisor_reseals_it(
    tmp_path: Path,
) -> None:
    """Records are still kept, but the trainee sees that the supervisor must look; the
    line goes once `station journal reseal-head` has saved a new head."""
    data = tmp_path / "data"
    with Journal(data / "journal.sqlite3", load_or_create_bench_key(data / "keys")) as journal:
        journal.append(sample_body("disk_seen"))
    head = data / "keys" / HEAD_FILE
    head.write_bytes(b"")
    services = make_services(tmp_path, [])
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.press(*"stagiaire-01", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        line = app.screen.query_one("#head", AlertLine)
        await wait_for(pilot, lambda: line.display, "the line")
        assert text_of(app, "#head") == (
            "Tête du journal illisible : prévenez l'encadrant (station journal reseal-head)"
        )
        done = subprocess.run(
            [sys.executable, "-m", "station", "journal", "reseal-head"],
            env={"STATION_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        await wait_for(pilot, lambda: not line.display, "the line to go")
