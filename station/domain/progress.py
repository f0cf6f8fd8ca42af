"""Progress of long jobs as a stream of events, with a rate and an ETA people can trust."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Phase = Literal["overwrite", "verify", "purge", "watermark", "deploy", "selftest"]


@dataclass(frozen=True)
class ProgressEvent:
    phase: Phase
    bytes_done: int
    bytes_total: int
    rate_bps: float
    eta_s: float | None
    elapsed_s: float
    pass_index: int = 0
    pass_count: int = 1
    target: str = ""
    # The drive's own purge is running: no host can stop it (it even resumes after a
    # power cycle), so screens say so instead of offering a stop that does nothing.
    unstoppable: bool = False
    # The image's stick was pulled mid-deploy: the deploy waits for it, its disks
    # untouched meanwhile (station.imaging.stick_source).
    waiting_for_stick: bool = False

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


ProgressSink = Callable[[ProgressEvent], None]


class RateMeter:
    """Rate over a sliding window of recent samples, so a slow start or a cache burst
    does not distort the ETA for long; the clock is injected for tests."""

    def __init__(self, clock: Callable[[], float], window_s: float = 10.0) -> None:
        self._clock = clock
        self._window = window_s
        self._start = clock()
        self._samples: deque[tuple[float, int]] = deque([(self._start, 0)])

    def update(self, bytes_done: int) -> tuple[float, float]:
        """Record progress; return (rate in bytes/s, seconds elapsed)."""
        now = self._clock()
        self._samples.append((now, bytes_done))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()
        first_t, first_b = self._samples[0]
        span = now - first_t
        rate = (bytes_done - first_b) / span if span > 0 else 0.0
        return rate, now - self._start

    @staticmethod
    def eta(bytes_done: int, bytes_total: int, rate: float) -> float | None:
        if bytes_done >= bytes_total:
            return 0.0
        if rate <= 0:
            return None
        return (bytes_total - bytes_done) / rate


class ThroughputTrace:
    """Average MB/s over each successive slice of a pass: the curve on a certificate,
    where a dip shows a slow region of the disk."""

    def __init__(self, total: int, clock: Callable[[], float], slices: int = 100) -> None:
        self._total = total
        self._slices = slices
        self._clock = clock
        self._mark = (clock(), 0)
        self.samples: list[float] = []

    def update(self, done: int) -> None:
        boundary = self._total * (len(self.samples) + 1) // self._slices
        if done < boundary and done < self._total:
            return
        now = self._clock()
        then, before = self._mark
        seconds = now - then
        rate = (done - before) / seconds / 1e6 if seconds > 0 else 0.0
        # One chunk may cross several slice boundaries on a small disk: give each the rate.
        while (
            len(self.samples) < self._slices
            and done >= self._total * (len(self.samples) + 1) // self._slices
        ):
            self.samples.append(round(rate, 1))
        self._mark = (now, done)


NO_STOP = (
    "La purge par le disque lui-même a commencé : elle ne peut pas être arrêtée, "
    "même en débranchant (elle reprend au rebranchement). Laisser le disque branché "
    "jusqu'à la fin.",
    "The drive's own purge has started: it cannot be stopped, not even by unplugging "
    "(it resumes when plugged in again). Leave the drive connected until it ends.",
)
