"""The classroom benchmark's markdown (bench/classroom.py, `section`): made-up times, the
verdicts and the model it writes into docs/performance.md. Nothing here is timed."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import classroom  # noqa: E402

MIB = 1024 * 1024


def times(multicast_3: float) -> dict[tuple[str, int], list[float]]:
    return {
        ("multicast", 1): [10.0, 10.2, 9.8],
        ("multicast", 2): [11.0],
        ("multicast", 3): [multicast_3],
        ("unicast", 1): [8.0],
        ("unicast", 2): [16.0],
        ("unicast", 3): [24.0],
    }


def test_ratios_bar_and_model() -> None:
    text = classroom.section(times(12.0), 160 * MIB, 200, 3, missed=1)
    assert text.startswith(classroom.BEGIN) and text.endswith(classroom.END)
    assert "| 3 | 12.0 | 24.0 | 1.20× | 3.00× | 2.00 |" in text
    assert "**1.20×** (met)" in text
    # One more unicast laptop costs 8 s here: one copy of the image.
    assert "8.0 s by unicast" in text and "1.0 s by multicast" in text
    assert "1 multicast laptop run(s) here fetched ranges over HTTP" in text


def test_bar_not_met_is_said() -> None:
    text = classroom.section(times(14.0), 160 * MIB, 200, 1)
    assert "**1.40×** (NOT met)" in text
    assert "did not count whether any laptop did" in text
