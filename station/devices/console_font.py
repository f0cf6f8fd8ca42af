"""The big console font of the large-text mode: Terminus 16x32 on the Linux console
(kbd's setfont; the font comes with console-setup-linux, in the live image). Only the
Linux console has a font to change: in a terminal window, the window's own font rules.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from station.devices.runner import Runner
from station.errors import CommandError

log = logging.getLogger(__name__)

# /usr/share/consolefonts/Uni2-Terminus32x16.psf.gz: latin letters with French accents,
# 16 dots wide and 32 high (twice the usual 8x16), so 1024x768 shows 64x24 characters.
LARGE_FONT = "Uni2-Terminus32x16"
NORMAL_FONT = "Uni2-Terminus16"
# Where the live system's station-console-font wrote the font it sized from the panel.
BOOT_CHOICE = Path("/run/station/console-font")


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


def set_console_font(runner: Runner, large: bool) -> None:
    """Load the large (or the normal) Terminus font on this console."""
    font = LARGE_FONT if large else boot_font()
    done = runner.run(["setfont", font], timeout=10)
    if done.returncode != 0:
        raise CommandError(f"setfont {font} exited {done.returncode}: {done.stderr.strip()}")
    log.info("console font: %s", font)
