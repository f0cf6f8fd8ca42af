"""Leaving the large-text mode restores the font the live system sized for the panel."""

from __future__ import annotations

from pathlib import Path

from station.devices.console_font import NORMAL_FONT, boot_font


def test_the_boot_choice_is_restored(tmp_path: Path) -> None:
    choice = tmp_path / "console-font"
    choice.write_text("Uni2-Terminus24x12 width=1366\n")
    assert boot_font(choice) == "Uni2-Terminus24x12"


def test_no_or_odd_boot_choice_falls_back_to_the_normal_font(tmp_path: Path) -> None:
    assert boot_font(tmp_path / "absent") == NORMAL_FONT
    odd = tmp_path / "odd"
    odd.write_text("../../etc/passwd\n")
    assert boot_font(odd) == NORMAL_FONT
