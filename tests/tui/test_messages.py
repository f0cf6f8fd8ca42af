"""Queued progress of one disk collapses (the newest wins); nothing else does."""

from __future__ import annotations

import pytest

from station.jobs.bench_sequence import Stage, StageUpdate
from station.tui.messages import StageChanged
from station.tui.widgets import pack

pytestmark = pytest.mark.tui


def changed(target: str, stage: Stage, fraction: float) -> StageChanged:
    return StageChanged(StageUpdate(target, stage, fraction))


def test_progress_of_the_same_disk_and_stage_collapses() -> None:
    older = changed("/dev/sdb", Stage.ERASING, 0.1)
    assert older.can_replace(changed("/dev/sdb", Stage.ERASING, 0.2))


def test_other_disks_and_stage_changes_are_never_dropped() -> None:
    older = changed("/dev/sdb", Stage.ERASING, 0.9)
    assert not older.can_replace(changed("/dev/sdc", Stage.ERASING, 0.1))
    assert not older.can_replace(changed("/dev/sdb", Stage.VERIFYING, 0.0))


def test_key_bar_never_splits_a_key_from_its_word() -> None:
    lines = pack(["R Reconditionner", "T Tout lancer", "S Formateur"], 32).split("\n")
    assert lines == ["R Reconditionner  T Tout lancer", "S Formateur"]
