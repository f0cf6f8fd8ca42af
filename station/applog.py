"""The bench's technical log: one rotating file in the data folder, never the screen.

Jobs and devices log through `logging.getLogger(__name__)`: each command run, each stage,
each decision with its reason. The front ends (CLI, TUI) call `configure_logging` once;
the file lands in the data folder (the stick's data partition on the live system), so a
supervisor can send it with `station support`. Nothing is written to stderr: the TUI owns
the terminal, and the CLI prints its own one-line messages.
"""

from __future__ import annotations

import contextlib
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
        handler = _StickLogHandler(
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


class _StickLogHandler(logging.handlers.RotatingFileHandler):
    """The rotating file on the stick. A pulled stick makes every write fail: those
    lines are dropped quietly (logging's default prints a traceback on stderr, which is
    the terminal the TUI draws on)."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def reopen_log_file() -> None:
    """Open the log file again by its name: after the stick came back and was mounted
    again, the open file still points at the old, dead mount, so nothing would reach
    `logs/station.log` on the stick until Station restarts."""
    for handler in logging.getLogger("station").handlers:
        if not getattr(handler, _MARK, False) or not isinstance(handler, logging.FileHandler):
            continue
        handler.acquire()
        try:
            stale, handler.stream = handler.stream, None
            if stale is not None:
                with contextlib.suppress(OSError):  # its buffer was bound for the dead mount
                    stale.close()
            Path(handler.baseFilename).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handler.stream = handler._open()
        except OSError as exc:  # still not writable: the next write tries nothing worse
            log.debug("log file not reopened: %s", exc)
        finally:
            handler.release()


def log_files(folder: Path | None = None) -> list[Path]:
    """The current log and its rotated copies, oldest first."""
    base = folder or log_dir()
    return sorted(base.glob(LOG_NAME + "*"), key=lambda p: p.stat().st_mtime)
