from __future__ import annotations

from station.domain.progress import ThroughputTrace


def test_one_rate_per_slice_in_megabytes_per_second() -> None:
    now = [0.0]
    trace = ThroughputTrace(total=1000, clock=lambda: now[0], slices=10)
    for done in range(50, 1001, 50):
        # 50 bytes every 0.5 us in the first half, every 1 us in the second half.
        now[0] += 0.5e-6 if done <= 500 else 1e-6
        trace.update(done)
    assert len(trace.samples) == 10
    assert trace.samples[:5] == [100.0] * 5 and trace.samples[5:] == [50.0] * 5


def test_a_chunk_larger_than_a_slice_fills_each_slice_it_crosses() -> None:
    now = [0.0]
    trace = ThroughputTrace(total=100, clock=lambda: now[0], slices=10)
    now[0] = 1e-6
    trace.update(30)
    assert trace.samples == [30.0, 30.0, 30.0]
