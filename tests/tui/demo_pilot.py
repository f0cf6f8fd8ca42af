"""`make demo`'s bench screen driven by keys only, at 80 x 25, in the demo's own setting.

scripts/demo.sh runs this module in place of the terminal (DEMO_TUI_DRIVER), after
setting up its simulated bench: the app is the one `station tui` builds
(station.cli.tui.bench_app). The trainee identifies, reconditions the first simulated
disk (so its erasure is recorded with the demo machine), then runs the whole Tests step
of the demo machine (this computer under the demo's made-up name): every key of the
French map, the five colours, an answer or a skip with its reason for each question,
the grade. What the screens showed, the journal's records and the text of both fiches
(the one the screen wrote, and `station fiche`) go to $DEMO_PILOT_OUT as JSON for
tests/tui/test_demo_tests_step.py. Not a test module itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from textual.pilot import Pilot
from textual.widgets import Static

from station.cli import main as station_main
from station.cli.tui import bench_app
from station.domain.keyboard_layouts import LAYOUTS, Key
from station.tui.app import StationApp
from station.tui.screens.dashboard import DashboardScreen
from station.tui.screens.dialogs import ConfirmScreen, PromptScreen
from station.tui.screens.function_tests import FunctionTestsScreen

OPERATOR = "stagiaire-01"
DISK_SERIAL = "SIMHDD0001A7"  # laptop-01 in profiles/bench/demo.yaml
MACHINE = "SIM-PC-0001"  # the demo's simulated_host
# What the trainee answers, question by question: (key, text typed after it).
ANSWERS: dict[str, tuple[str, str]] = {
    "battery": ("p", "démo : pas de mesure de décharge sur ce poste"),
    "audio": ("p", "démo : personne n'écoute le haut-parleur"),
    "ports": ("p", "démo : aucune clé USB branchée"),
    "pointer": ("o", ""),
    "webcam_led": ("n", "voyant resté éteint"),
    "case": ("o", ""),
}


def press_for(key: Key) -> str:
    """What to press so the map lights `key`: what it sends alone (its label when it
    sends that), Shift through a capital, Ctrl and Alt through a combination (a
    terminal never sees them alone)."""
    special = {"shift": "A", "ctrl": "ctrl+c", "alt": "alt+x"}
    alone = sorted(key.sends - {key.shifted})
    token = key.label if key.label in key.sends else alone[0]
    return special.get(token, token)


async def until(
    pilot: Pilot[None], done: Callable[[], bool], what: str, turns: int = 12000
) -> None:
    """Let the app run until `done()` (memtester really runs: a bound on turns, not time)."""
    for _ in range(turns):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def body(app: StationApp) -> str:
    return str(app.screen.query_one("#body", Static).render())


def notice(app: StationApp) -> str:
    return str(app.screen.query_one("#notice", Static).render())


def screen_text(app: StationApp) -> str:
    return " ".join(str(s.render()) for s in app.screen.query(Static))


async def recondition_first_disk(app: StationApp, pilot: Pilot[None], seen: dict[str, Any]) -> None:
    await pilot.press(*OPERATOR, "enter")
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
    board = app.screen
    assert isinstance(board, DashboardScreen)
    await until(pilot, lambda: len(board.rows) == 4, "the four simulated disks")
    for _ in range(4):  # the row of laptop-01: the dialog names the disk before typing
        await pilot.press("r")
        if isinstance(app.screen, PromptScreen):  # the demo image names the machine
            await pilot.press(*MACHINE, "enter")
        if isinstance(app.screen, ConfirmScreen) and DISK_SERIAL in screen_text(app):
            break
        await pilot.press("escape", "down")
    seen["confirm"] = screen_text(app)
    await pilot.press(*DISK_SERIAL[-4:].lower(), "enter")
    row = next(r for r in board.rows.values() if r.inspection.identity.serial == DISK_SERIAL)
    await until(pilot, lambda: row.stage.final, "the recondition ends")
    seen["disk_stage"] = row.stage.name
    seen["disk_result"] = row.outcome.result.value if row.outcome and row.outcome.result else None
    seen["disk_outcome"] = repr(row.outcome)


async def keyboard_map(
    screen: FunctionTestsScreen, pilot: Pilot[None], seen: dict[str, Any]
) -> None:
    seen["map_before"] = body(screen.app)  # type: ignore[arg-type]
    keys = [press_for(k) for row in LAYOUTS[screen.tally.layout] for k in row]
    await pilot.press(*keys)
    seen["map_after"] = body(screen.app)  # type: ignore[arg-type]
    seen["map_lit"] = sorted(screen.tally.seen)
    await pilot.press("f10", "f10")
    if screen.tally.never_pressed():
        await pilot.press(
            "n", *("jamais vues : " + " ".join(screen.tally.never_pressed())), "enter"
        )
    else:
        await pilot.press("o")


async def colours(screen: FunctionTestsScreen, pilot: Pilot[None], seen: dict[str, Any]) -> None:
    shown = []
    for _ in range(5):
        await pilot.press("enter")
        visible = [w.id for w in screen.children if w.display]
        shown.append({"background": str(screen.styles.background), "visible": visible})
    seen["colours"] = shown
    await pilot.press("enter")
    seen["screen_question"] = body(screen.app)  # type: ignore[arg-type]
    await pilot.press("o")


async def tests_step(app: StationApp, pilot: Pilot[None], seen: dict[str, Any]) -> None:
    await pilot.press("f")
    screen = app.screen
    assert isinstance(screen, FunctionTestsScreen), screen
    seen["intro"] = body(app)
    await pilot.press("enter")
    questions: list[str] = []
    while True:
        await until(pilot, lambda: screen.mode not in ("busy", "intro"), "a question")
        mode = screen.mode
        if mode == "end":
            break
        if mode == "keyboard":
            await keyboard_map(screen, pilot, seen)
        elif mode == "colour":
            await colours(screen, pilot, seen)
        elif mode == "ask":
            test = screen.current
            questions.append(test)
            key, typed = ANSWERS[test]
            await pilot.press(key, *typed, *(["enter"] if typed else []))
        else:
            raise AssertionError(f"unexpected mode {mode}: {body(app)}")
        await pilot.pause()
    seen["questions"] = questions
    seen["end"] = body(app)
    await pilot.press("enter")
    await until(pilot, lambda: "Fiche" in notice(app) or "fiche" in notice(app), "the sheet")
    seen["recorded"] = notice(app)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def afterwards(app: StationApp, seen: dict[str, Any]) -> None:
    services = app.services
    everything = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
    seen["records"] = [r.body() for r in services.journal.records_between(*everything)]
    documents = services.data_dir / "documents"
    screen_fiche = documents / f"fiche-{MACHINE}.pdf"
    seen["screen_fiche"] = pdf_text(screen_fiche) if screen_fiche.exists() else None
    out = documents / "station-fiche.pdf"
    seen["fiche_rc"] = station_main(["fiche", MACHINE, "--out", str(out)])
    seen["fiche"] = pdf_text(out) if out.exists() else None


async def drive(app: StationApp, seen: dict[str, Any]) -> None:
    async with app.run_test(size=(80, 25)) as pilot:
        await recondition_first_disk(app, pilot, seen)
        await tests_step(app, pilot, seen)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang")
    parser.add_argument("--bench-profile", type=Path)
    args = parser.parse_args(argv)
    app = bench_app(args.bench_profile, args.lang, None)
    seen: dict[str, Any] = {}
    try:
        asyncio.run(drive(app, seen))
    except Exception as exc:  # reported to the test with what was seen until then
        seen["error"] = f"{type(exc).__name__}: {exc}"
    afterwards(app, seen)
    Path(os.environ["DEMO_PILOT_OUT"]).write_text(json.dumps(seen, default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
