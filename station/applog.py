"""The bench's technical log: one rotating file in the data folder, never the screen.

Jobs and devices log through `logging.getLogger(__name__)`: each command run, each stage,
each decision with its reason. The front ends (CLI, TUI) call `configure_logging` once;
the file lands in the data folder (the stick's data partition on the live system), so a
supervisor can send it with `station support`. Nothing is written to stderr: the TUI owns
the terminal, and the CLI prints its own one-line messages.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from station.paths import data_dir

LOG_NAME = "station.log"
LOG_ENV = "STATION_LOG_LEVEL"
MAX_BYTES = 2 * 1024 * 1024  # a FAT data partition and an email attachment both stay small
BACKUPS = 4
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

_MARK = "station_log_file"  # tags the handler this module added

log = logging.getLogger(__name__)


def log_dir() -> Path:
    """Where the technical log lives: `logs/` in the data folder."""
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def configure_logging(folder: Path | None = None) -> Path | None:
    """Send every `station.*` logger to a rotating file; returns its path, or None when
    the folder cannot be written (a read-only or pulled stick must not stop the bench).
    Calling it again with the same folder changes nothing; with another folder (another
    data folder in the same process), the log moves there."""
    root = logging.getLogger("station")
    try:
        target = (folder or log_dir()) / LOG_NAME
        for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
            if getattr(old, "baseFilename", None) == str(target):
                return target
            root.removeHandler(old)
            old.close()
        handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    setattr(handler, _MARK, True)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(os.environ.get(LOG_ENV, "INFO").upper())
    root.propagate = False  # never to the terminal the TUI draws on
    return target


def log_files(folder: Path | None = None) -> list[Path]:
    """The current log and its rotated copies, oldest first."""
    base = folder or log_dir()
    return sorted(base.glob(LOG_NAME + "*"), key=lambda p: p.stat().st_mtime)
