from __future__ import annotations

from station.domain.progress import RateMeter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_and_eta_follow_recent_samples() -> None:
    clock = FakeClock()
    meter = RateMeter(clock, window_s=10)
    for second in range(1, 31):
        clock.now += 1
        # 10 MB/s for 20 s, then 100 MB/s: the window forgets the slow start.
        done = second * 10_000_000 if second <= 20 else 200_000_000 + (second - 20) * 100_000_000
        rate, elapsed = meter.update(done)
    assert elapsed == 30
    assert 90e6 <= rate <= 100e6
    eta = RateMeter.eta(done, done + 1_000_000_000, rate)
    assert eta is not None and 9 <= eta <= 12


def test_eta_unknown_before_any_progress_and_zero_at_the_end() -> None:
    assert RateMeter.eta(0, 100, 0.0) is None
    assert RateMeter.eta(100, 100, 0.0) == 0.0
