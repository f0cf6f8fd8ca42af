"""Progress on a terminal: one line rewritten in place; on a pipe, a line every few seconds."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from station.domain.progress import NO_STOP, ProgressEvent


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--:--"
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def describe(event: ProgressEvent) -> str:
    what = (
        f"pass {event.pass_index}/{event.pass_count}" if event.phase == "overwrite" else event.phase
    )
    return (
        f"{what:<10} {100 * event.fraction:5.1f}%  "
        f"{human_bytes(event.bytes_done)} / {human_bytes(event.bytes_total)}  "
        f"{human_bytes(event.rate_bps)}/s  ETA {human_duration(event.eta_s)}"
    )


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        # Looked up now, not at import: sys.stderr may have been replaced since (pytest).
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.every_s = every_s
        self.last_print = 0.0
        self.last_phase = ""
        self.said_no_stop = False

    def __call__(self, event: ProgressEvent) -> None:
        key = f"{event.phase}{event.pass_index}"
        if event.unstoppable and not self.said_no_stop:
            self.said_no_stop = True
            self.stream.write(("\n" if self.tty else "") + NO_STOP[1] + "\n")
        done = event.bytes_done >= event.bytes_total
        if self.tty:
            end = "\n" if done else ""
            self.stream.write("\r" + describe(event) + "\033[K" + end)
            self.stream.flush()
            return
        now = time.monotonic()
        if key != self.last_phase or done or now - self.last_print >= self.every_s:
            self.stream.write(describe(event) + "\n")
            self.stream.flush()
            self.last_print, self.last_phase = now, key
