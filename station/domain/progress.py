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
