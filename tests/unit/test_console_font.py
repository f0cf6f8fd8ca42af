"""The large-text font keeps the whole bench screen (80x25) on the panel; leaving the
mode restores the font the live system sized for the panel."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.devices.console_font import (
    NORMAL_FONT,
    boot_font,
    large_font,
    panel_size,
    set_console_font,
)
from station.devices.runner import CommandEvidence


def test_the_boot_choice_is_restored(tmp_path: Path) -> None:
    choice = tmp_path / "console-font"
    choice.write_text("Uni2-Terminus24x12 width=1366\n")
    assert boot_font(choice) == "Uni2-Terminus24x12"


def test_no_or_odd_boot_choice_falls_back_to_the_normal_font(tmp_path: Path) -> None:
    assert boot_font(tmp_path / "absent") == NORMAL_FONT
    odd = tmp_path / "odd"
    odd.write_text("../../etc/passwd\n")
    assert boot_font(odd) == NORMAL_FONT


class Recording:
    """Takes the setfont command instead of running it (this machine's console stays)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv, *, timeout):  # type: ignore[no-untyped-def]
        self.calls.append(tuple(argv))
        now = datetime.now(UTC)
        return CommandEvidence(tuple(argv), 0, "", "", now, now)


def cells(font: str, panel: tuple[int, int]) -> tuple[int, int]:
    found = re.fullmatch(r"Uni2-Terminus(\d+)(?:x(\d+))?", font)
    assert found, font
    height, width = int(found[1]), int(found[2] or 8)
    return panel[0] // width, panel[1] // height


@pytest.mark.parametrize(
    ("panel", "font"),
    [
        ((1024, 768), "Uni2-Terminus24x12"),  # 16x32 would give 64x24 and cut the bench
        ((1366, 768), "Uni2-Terminus28x14"),  # 16x32 would give 85x24: one row short
        ((1280, 800), "Uni2-Terminus32x16"),  # exactly 80x25
        ((1600, 900), "Uni2-Terminus32x16"),
        ((1920, 1080), "Uni2-Terminus32x16"),
        ((800, 600), "Uni2-Terminus20x10"),
        ((640, 480), "Uni2-Terminus16"),
    ],
)
def test_large_text_is_the_biggest_font_that_keeps_the_whole_bench(
    panel: tuple[int, int], font: str
) -> None:
    assert large_font(panel) == font
    columns, rows = cells(font, panel)
    assert columns >= 80 and rows >= 25


def test_the_panel_size_is_read_from_the_framebuffer(tmp_path: Path) -> None:
    size = tmp_path / "virtual_size"
    size.write_text("1024,768\n")
    assert panel_size(size) == (1024, 768)
    assert panel_size(tmp_path / "absent") is None
    assert large_font(None) == NORMAL_FONT  # no known panel: never a font that could cut


def test_large_text_on_a_1024x768_panel_loads_a_font_that_shows_80_columns(
    tmp_path: Path,
) -> None:
    size, choice = tmp_path / "virtual_size", tmp_path / "console-font"
    size.write_text("1024,768\n")
    choice.write_text("Uni2-Terminus16 width=1024\n")
    runner = Recording()
    assert set_console_font(runner, True, panel=size, choice=choice)  # type: ignore[arg-type]
    assert set_console_font(runner, False, panel=size, choice=choice)  # type: ignore[arg-type]
    assert runner.calls == [("setfont", "Uni2-Terminus24x12"), ("setfont", "Uni2-Terminus16")]


def test_a_panel_already_at_its_biggest_font_says_so(tmp_path: Path) -> None:
    size, choice = tmp_path / "virtual_size", tmp_path / "console-font"
    size.write_text("1920,1080\n")
    choice.write_text("Uni2-Terminus32x16 width=1920\n")
    runner = Recording()
    assert not set_console_font(runner, True, panel=size, choice=choice)  # type: ignore[arg-type]
    assert runner.calls == [("setfont", "Uni2-Terminus32x16")]
