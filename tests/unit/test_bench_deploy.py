"""The pure half of the deploy benchmark (bench/deploy_report.py): bars and markdown.

Nothing here is timed (house rule 6): the figures are made up, and the tests check the
verdicts the bench writes into docs/performance.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import deploy_report as dr  # noqa: E402

STATION = ["Station, read-back", "Station, stream check only"]
OLD = "Station, stream check, image without seek table"


def image(gib: int) -> dr.Image:
    return dr.Image(gib * dr.GIB, Path("/x"), 600 * dr.MIB, 500 * dr.MIB, 80, gib * 128, 1.0, {})


def section(
    growth: float,
    batch: list[float],
    single: list[float],
    station: float = 1.0,
    big_runs: list[float] | None = None,
) -> str:
    tools = {
        "Station, stream check + read-back": [2.0, 2.1, 1.9],
        "Station, stream check only": [station] * 3,
        "bmaptool copy": [1.5, 1.6, 1.4],
    }
    sizes = {
        2: {**{n: [1.0, 1.1, 0.9] for n in STATION}, OLD: [1.0], "bmaptool copy": [2.0]},
        8: {**{n: big_runs or [growth] * 3 for n in STATION}, OLD: [1.5], "bmaptool copy": [6]},
    }
    run = dr.Run(3, 600, "bench/deploy.py", ["CPU x"], [1.0, 2.0])
    return dr.render(
        run, {2: image(2), 8: image(8)}, tools, sizes, {("ram", True): (batch, single)}
    )


def test_section_is_marked_and_states_every_bar() -> None:
    text = section(growth=1.05, batch=[2.3, 2.4, 2.5], single=[2.0, 2.1, 2.2])
    assert text.startswith(dr.BEGIN) and text.rstrip().endswith(dr.END)
    assert "Station >= bmaptool's speed: met (1.50 x bmaptool" in text
    assert "Time grows with data, not disk size: met for Station" in text
    assert "bmaptool copy: 3.00 x" in text
    assert "ram targets, unmapped ranges skipped: met (1.14 x" in text
    assert "within the runs' spread" not in text
    assert "| 8 GiB (600 MiB) | 1.05 s (1.05–1.05) |" in text


def test_slower_station_growth_and_batch_are_not_met() -> None:
    text = section(growth=1.4, batch=[3.0, 3.1, 3.2], single=[2.0, 2.0, 2.0], station=2.0)
    assert "Station >= bmaptool's speed: NOT met (0.75 x" in text
    assert "Time grows with data, not disk size: NOT met for Station. Same files" in text
    assert "(640 MiB at 2 GiB, 640 MiB at 8 GiB" in text
    assert "unmapped ranges skipped: NOT met (1.55 x" in text


def test_a_ratio_whose_runs_straddle_the_bar_says_so() -> None:
    text = section(growth=1.0, batch=[2.4, 2.5, 3.0], single=[2.0, 2.0, 2.2])
    assert "met (1.25 x" in text and "within the runs' spread of the bar" in text


def test_growth_within_the_runs_overlap_says_so() -> None:
    text = section(growth=1.2, batch=[2.3], single=[2.0], big_runs=[1.05, 1.2, 1.3])
    assert "NOT met for Station (Station, read-back: its runs at both sizes overlap" in text
