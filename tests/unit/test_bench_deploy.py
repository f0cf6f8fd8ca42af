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
    batches: dict[tuple[str, bool], tuple[list[float], list[float]]] | None = None,
    skipped: dict[str, str] | None = None,
) -> str:
    tools = {
        "Station, stream check + read-back": [2.0, 2.1, 1.9],
        "Station, stream check only": [station] * 3,
        "bmaptool copy": [1.5, 1.6, 1.4],
    }
    sizes: dict[int, dict[str, list[float]]] = {
        2: {**{n: [1.0, 1.1, 0.9] for n in STATION}, OLD: [1.0], "bmaptool copy": [2.0]},
        8: {**{n: big_runs or [growth] * 3 for n in STATION}, OLD: [1.5], "bmaptool copy": [6]},
    }
    run = dr.Run(3, 600, "bench/deploy.py", ["CPU x"], [1.0, 2.0], (400, 450), skipped or {})
    if batches is None:
        batches = {("ram", True): (batch, single)}
    return dr.render(run, {2: image(2), 8: image(8)}, tools, sizes, batches)


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


def test_throttled_rows_get_their_limits_and_their_own_verdicts() -> None:
    batches = {
        ("throttled", False): ([2.5, 2.6, 2.7], [2.0, 2.1, 2.2]),
        ("throttled", True): ([2.4, 2.5, 2.6], [2.0, 2.0, 2.0]),
        ("ram", False): ([3.0, 3.0, 3.0], [2.0, 2.0, 2.0]),
    }
    text = section(growth=1.0, batch=[], single=[], batches=batches)
    row = "| backing files in RAM (tmpfs), each loop device throttled to 400 MB/s write, 450 MB/s"
    assert text.count(row) == 2
    assert "throttled targets, unmapped ranges zeroed: met (1.24 x" in text
    assert "throttled targets, unmapped ranges skipped: met (1.25 x" in text
    assert "ram targets, unmapped ranges zeroed: NOT met (1.50 x" in text
    # The throttled rows come first, as measured, and the model is stated with its limits.
    assert text.index("throttled targets, unmapped") < text.index("ram targets, unmapped")
    assert "to 400 MB/s write and 450 MB/s read" in text
    assert "unthrottled `ram` row stays the CPU-bound worst case on 2 cores" in text
    assert "the kernel's throttle charges that zeroing at its full size" in text


def test_a_skipped_throttled_row_says_why_and_claims_no_verdict() -> None:
    why = "/sys/fs/cgroup is cgroup v2 without the io controller"
    text = section(growth=1.0, batch=[2.3], single=[2.0], skipped={"throttled": why})
    assert f"| — | skipped: {why} | — | — |" in text
    assert f"- 3-disk batch within 1.3 x one disk, throttled targets: skipped ({why})." in text
    assert "throttled targets, unmapped" not in text
    assert "ram targets, unmapped ranges skipped: met (1.15 x" in text


def test_only_skipped_batches_still_render_the_batch_table() -> None:
    text = section(growth=1.0, batch=[], single=[], batches={}, skipped={"throttled": "no"})
    assert "### 3-disk batch against one disk" in text and "skipped: no" in text
