"""A frozen drive: the operator is asked (in French by default) what to do, and the
choice reaches the purge job, which suspends the bench through rtcwake only when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.app import App

from station.devices.runner import CommandEvidence, ReplayRunner
from station.jobs.sanitize import UnfreezeChoice, unfreeze_action
from station.tui.i18n import set_language
from station.tui.screens.dialogs import UnfreezeScreen

pytestmark = [pytest.mark.tui, pytest.mark.anyio]


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.choices: list[UnfreezeChoice | None] = []

    def on_mount(self) -> None:
        self.push_screen(UnfreezeScreen("sda: Crucial MX500 2115E5A1"), self.choices.append)


@pytest.mark.parametrize(
    ("key", "expected"), [("s", "suspend"), ("r", "replugged"), ("enter", "skip")]
)
async def test_the_dialog_returns_the_operators_choice(key: str, expected: str) -> None:
    set_language("fr")
    app = Host()
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.pause()
        assert "Disque bloqué" in str(app.screen.query_one("#dialog-title").render())
        await pilot.press(key)
        await pilot.pause()
    assert app.choices == [expected]


def rtcwake_case(tmp_path: Path, returncode: int) -> ReplayRunner:
    (tmp_path / "index.json").write_text(
        json.dumps(
            {"calls": [{"argv": ["rtcwake", "-m", "mem", "-s", "5"], "returncode": returncode}]}
        )
    )
    return ReplayRunner(tmp_path)


@pytest.mark.parametrize(
    ("choice", "returncode", "done", "commands"),
    [
        ("suspend", 0, True, 1),
        ("suspend", 1, False, 1),
        ("replugged", 0, True, 0),
        ("skip", 0, False, 0),
    ],
)
def test_the_choice_suspends_only_when_asked_and_keeps_the_evidence(
    tmp_path: Path, choice: UnfreezeChoice, returncode: int, done: bool, commands: int
) -> None:
    runner = rtcwake_case(tmp_path, returncode)
    evidence: list[CommandEvidence] = []
    unfreeze = unfreeze_action(lambda: choice, runner, evidence)
    assert unfreeze() is done
    assert len(evidence) == commands == len(runner.calls)
