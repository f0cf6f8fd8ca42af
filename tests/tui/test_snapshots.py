"""SVG snapshots at 80 x 25 of the dashboard, the confirmation, the log and the
"Pourquoi ?" panel, in French and in English. Deterministic: fixed disks (no device is
opened), a fixed clock, fixed rates, no inventory configured.

Update them after a deliberate change with: pytest tests/tui --snapshot-update
"""

from __future__ import annotations

from datetime import date

import pytest
from textual.pilot import Pilot

from station.domain.results import Result
from station.domain.smart_verdict import Verdict
from station.domain.text import LocalizedText
from station.jobs.bench_sequence import SequenceOutcome, Stage, StageUpdate
from station.reports.daily_log import DailyLog, LogLine
from station.tui.app import StationApp
from station.tui.screens.dashboard import DashboardScreen
from station.wiring import Services

pytestmark = pytest.mark.tui
SIZE = (80, 25)
LANGS = ["fr", "en"]


def busy_bench(screen: DashboardScreen) -> None:
    """Slot 1 erasing (fixed rate and ETA), slot 2 done with warnings, 3 waiting."""
    rows = list(screen.rows.values())
    erasing, done = rows[0], rows[1]
    erasing.start()
    erasing.apply(StageUpdate(erasing.path, Stage.ERASING, 0.42, 98e6, 1260.0, 1, 1))
    erasing.smart = Verdict.PASS
    done.finish(
        SequenceOutcome(
            Stage.DONE,
            result=Result.CLEARED_WITH_WARNINGS,
            smart=Verdict.WARN,
            reasons=[
                LocalizedText(
                    fr="Purge impossible : le disque est gelé (frozen) ; effacement par "
                    "réécriture à la place.",
                    en="Purge not possible: the drive is frozen; overwritten instead.",
                ),
                LocalizedText(
                    fr="3 secteurs illisibles réécrits.", en="3 unreadable sectors rewritten."
                ),
            ],
        )
    )
    screen.batch_paths = {erasing.path, done.path}
    screen.rebuild()


async def prepared(pilot: Pilot[None]) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    busy_bench(screen)
    await pilot.pause()


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard(snap_compare, snapshot_services: Services, lang: str) -> None:
    app = StationApp(snapshot_services, lang=lang, operator="stagiaire-01")
    assert snap_compare(app, terminal_size=SIZE, run_before=prepared)


@pytest.mark.parametrize("lang", LANGS)
def test_confirmation(snap_compare, snapshot_services: Services, lang: str) -> None:
    app = StationApp(snapshot_services, lang=lang, operator="stagiaire-01")

    async def confirm_wrong(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down", "r", "1", "2", "3", "4", "enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=confirm_wrong)


@pytest.mark.parametrize("lang", LANGS)
def test_why_panel(snap_compare, snapshot_services: Services, lang: str) -> None:
    app = StationApp(snapshot_services, lang=lang, operator="stagiaire-01")

    async def why_of_done(pilot: Pilot[None]) -> None:
        await prepared(pilot)
        await pilot.press("down", "p")

    assert snap_compare(app, terminal_size=SIZE, run_before=why_of_done)


@pytest.mark.parametrize("lang", LANGS)
def test_why_refused(snap_compare, snapshot_services: Services, lang: str) -> None:
    app = StationApp(snapshot_services, lang=lang, operator="stagiaire-01")

    async def why_of_refused(pilot: Pilot[None]) -> None:
        await pilot.press("down", "down", "down", "p")

    assert snap_compare(app, terminal_size=SIZE, run_before=why_of_refused)


class LoggedServices(Services):
    """A fixed daily log: the log screen is what is checked here, not the journal."""

    def daily_log(self, day: date | None = None) -> DailyLog:
        def line(start: str, end: str, who: str, result: str, disk: str) -> LogLine:
            return LogLine(
                started_at=f"2026-11-23T{start}Z",
                ended_at=f"2026-11-23T{end}Z",
                machine=None,
                disk=disk,
                serial=None,
                operators=[who],
                steps=["disk_seen", "overwrite_pass", "verification"],
                result=result,
                failures=[],
                licences=[],
                seqs=[1],
                unsynced=0,
            )

        lines = [
            line("07:02:10", "07:48:55", "stagiaire-01", "cleared", "ST500LM021 500 Go"),
            line("07:05:00", "07:31:12", "stagiaire-02", "purged", "Samsung SSD 860 250 Go"),
            line("07:40:00", "08:22:41", "stagiaire-01", "cleared_with_warnings", "WDC 320 Go"),
            line("08:01:30", "08:03:02", "stagiaire-02", "failed", "TOSHIBA 1 To"),
        ]
        return DailyLog("bench-test", date(2026, 11, 23), lines, 12, 1, 12, "0" * 64, 0)


@pytest.mark.parametrize("lang", LANGS)
def test_supervisor_log(snap_compare, snapshot_services: Services, lang: str) -> None:
    services = LoggedServices(
        data_dir=snapshot_services.data_dir,
        bench=snapshot_services.bench,
        disk_source=snapshot_services.disk_source,
        clock=snapshot_services.clock,
    )
    app = StationApp(services, lang=lang, operator="formateur-01")
    assert snap_compare(app, terminal_size=SIZE, press=["s"])
