"""The big console font of the large-text mode: the biggest Terminus that still shows
the whole bench screen (80 columns, 25 rows) on this panel, on the Linux console (kbd's
setfont; the fonts come with console-setup-linux, in the live image). Only the Linux
console has a font to change: in a terminal window, the window's own font rules.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from station.devices.runner import Runner
from station.errors import CommandError

log = logging.getLogger(__name__)

# /usr/share/consolefonts/Uni2-Terminus16.psf.gz: latin letters with French accents,
# 8 dots wide and 16 high.
NORMAL_FONT = "Uni2-Terminus16"
# Where the live system's station-console-font wrote the font it sized from the panel.
BOOT_CHOICE = Path("/run/station/console-font")
# The panel's size in pixels ("1024,768"), as the boot script reads it.
PANEL_SIZE = Path("/sys/class/graphics/fb0/virtual_size")
# Terminus in console-setup-linux 1.221, (width, height) in dots, biggest first.
TERMINUS = ((16, 32), (14, 28), (12, 24), (11, 22), (10, 20), (10, 18), (8, 16))
# The bench screen is drawn and tested at 80x25: fewer cells would cut its lines (16x32
# on a 1024x768 panel gives 64x24).
MIN_COLUMNS, MIN_ROWS = 80, 25


def font_name(width: int, height: int) -> str:
    """console-setup's file name: Uni2-Terminus16 is 8x16, the others say HxW."""
    return NORMAL_FONT if (width, height) == (8, 16) else f"Uni2-Terminus{height}x{width}"


def panel_size(path: Path = PANEL_SIZE) -> tuple[int, int] | None:
    """The framebuffer's width and height in pixels; None without a framebuffer."""
    try:
        found = re.fullmatch(r"\s*(\d+),(\d+)\s*", path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        return None
    return (int(found[1]), int(found[2])) if found else None


def large_font(panel: tuple[int, int] | None) -> str:
    """The biggest Terminus that keeps 80x25 cells on `panel`: 16x32 on a 1080p laptop
    (120x33), 14x28 on 1366x768 (97x27), 12x24 on 1024x768 (85x32). Without a known
    panel, the normal font: a bigger one could cut the screen."""
    if panel is None:
        return NORMAL_FONT
    width, height = panel
    for cell_w, cell_h in TERMINUS:
        if width // cell_w >= MIN_COLUMNS and height // cell_h >= MIN_ROWS:
            return font_name(cell_w, cell_h)
    return NORMAL_FONT


def boot_font(choice: Path = BOOT_CHOICE) -> str:
    """The font chosen at boot for this panel's width (`Uni2-Terminus24x12 width=1366`),
    so leaving the large-text mode goes back to it, not to the smallest font."""
    try:
        words = choice.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return NORMAL_FONT
    return words[0] if words and re.fullmatch(r"Uni2-Terminus[0-9x]+", words[0]) else NORMAL_FONT


def on_linux_console(fd: int = 0) -> bool:
    """True when `fd` is a virtual console (/dev/tty1…), where setfont works."""
    try:
        name = os.ttyname(fd)
    except OSError:
        return False
    return bool(re.fullmatch(r"/dev/tty[0-9]+|/dev/console", name))


def set_console_font(
    runner: Runner,
    large: bool,
    *,
    panel: Path = PANEL_SIZE,
    choice: Path = BOOT_CHOICE,
) -> bool:
    """Load the large (or the boot's) Terminus font on this console. False when the
    large font is no bigger than the boot's: this panel shows no larger text at 80x25."""
    normal = boot_font(choice)
    font = large_font(panel_size(panel)) if large else normal
    if large and _height(font) <= _height(normal):
        font = normal
    done = runner.run(["setfont", font], timeout=10)
    if done.returncode != 0:
        raise CommandError(f"setfont {font} exited {done.returncode}: {done.stderr.strip()}")
    log.info("console font: %s", font)
    return not large or font != normal


def _height(font: str) -> int:
    """The cell height a Terminus name says (Uni2-Terminus24x12: 24; Uni2-Terminus16: 16)."""
    found = re.fullmatch(r"Uni2-Terminus(\d+)(?:x\d+)?", font)
    return int(found[1]) if found else 16
