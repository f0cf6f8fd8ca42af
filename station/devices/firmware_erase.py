"""What ATA and NVMe firmware erases share: their outcome and the status polling loop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from station.devices.runner import CommandEvidence

ProgressHook = Callable[[int | None], None]


@dataclass
class EraseOutcome:
    """`done` only when the drive's own status said the erase completed."""

    done: bool
    technique: str
    detail: str
    evidence: list[CommandEvidence] = field(default_factory=list)


@dataclass(frozen=True)
class Polling:
    """How a long firmware command is watched; tests pass a sleep that returns at once."""

    on_progress: ProgressHook | None = None
    interval_s: float = 10.0
    max_polls: int = 100_000
    sleep: Callable[[float], None] = time.sleep


# One poll: (None while still running | True done | False failed, percent, detail).
PollStep = Callable[[], tuple[bool | None, int | None, str]]


def poll_until_finished(step: PollStep, polling: Polling) -> tuple[bool, str]:
    for _ in range(polling.max_polls):
        finished, percent, detail = step()
        if finished is not None:
            return finished, detail
        if polling.on_progress is not None:
            polling.on_progress(percent)
        polling.sleep(polling.interval_s)
    return False, "still running after the polling limit"


DEFAULT_POLLING = Polling()


def estimated_percent(elapsed_s: float, estimate_s: float) -> int:
    """Percent done by the drive's own time estimate, held at 99 until it answers."""
    if estimate_s <= 0:
        return 0
    return min(99, int(elapsed_s * 100 / estimate_s))


@contextmanager
def ticking(estimate_s: float | None, polling: Polling) -> Iterator[None]:
    """While a blocking command runs, report progress by the drive's time estimate
    from a side thread (every polling interval); nothing without an estimate."""
    report = polling.on_progress
    if not estimate_s or report is None:
        yield
        return
    done = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        while not done.wait(polling.interval_s):
            report(estimated_percent(time.monotonic() - started, estimate_s))

    thread = threading.Thread(target=tick, name="erase-estimate", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=polling.interval_s + 1)
