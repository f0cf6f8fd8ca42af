"""The pure half of the wipe benchmark (bench/wipe_report.py): medians, bars, markdown.

Nothing here is timed and no figure is asserted against a clock (house rule 6): samples
are made up, and the tests check the arithmetic and the document the bench writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import wipe_report as wr  # noqa: E402

GIB = wr.GIB


def samples(*seconds: float, nbytes: int = GIB, dev_read: int = 0) -> list[wr.Sample]:
    return [wr.Sample(s, nbytes, dev_read=dev_read, dev_written=nbytes) for s in seconds]


def full_results() -> dict[str, list[wr.Sample]]:
    """dd writes 2 GiB/s-ish; Station a bit slower on writes, faster on reads."""
    return {
        "dd_write": samples(1.0, 1.1, 0.9),
        "station_zero_write": samples(1.2, 1.0, 1.05),  # median 1.05 s vs 1.0 s: 0.952
        "station_random_write": samples(1.3, 1.2, 1.1),
        "dd_read": samples(2.0, 2.0, 2.0),
        "station_verify": samples(1.9, 2.1, 2.2),  # median 2.1 s: 0.952 of dd's rate
        "wipe_nist_clear": samples(3.0, 3.5, 2.5),
        "wipe_nist_clear_full": samples(5.0, 6.0, 4.0),
        "nwipe": samples(10.0, 9.0, 11.0, dev_read=GIB // 2),
    }


def report(results: dict[str, list[wr.Sample]], **overrides: object) -> wr.BenchReport:
    fields: dict[str, object] = {
        "date": "2026-11-22 23:00 UTC",
        "runs": 3,
        "size": GIB,
        "machine": {"kernel": "6.1.0-test", "CPU": "Test CPU", "cores": "2"},
        "commands": ["dd if=/dev/zero of=/dev/loopN oflag=direct bs=4M count=256"],
        "results": results,
    }
    fields.update(overrides)
    return wr.BenchReport(**fields)  # type: ignore[arg-type]


def test_median_and_ratio() -> None:
    assert wr.median([3.0, 1.0, 2.0]) == 2.0
    assert wr.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert wr.ratio(1.0, 2.0) == 0.5
    assert wr.ratio(1.0, 0.0) is None
    with pytest.raises(ValueError):
        wr.median([])


def test_sample_rate() -> None:
    assert wr.Sample(2.0, 1000).rate == 500.0
    assert wr.Sample(0.0, 1000).rate == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2G", 2 * GIB), ("512M", 512 * 1024**2), ("64MiB", 64 * 1024**2), ("4096", 4096)],
)
def test_parse_size(text: str, expected: int) -> None:
    assert wr.parse_size(text) == expected


def test_parse_size_refuses_nonsense() -> None:
    with pytest.raises(Exception, match="not a size"):
        wr.parse_size("two gigs")


def test_bars_use_medians_of_rates_and_speedups() -> None:
    results = full_results()
    by_title = {bar.numerator + "/" + bar.denominator: wr.judge(bar, results) for bar in wr.BARS}
    value, met = by_title["station_zero_write/dd_write"]
    assert value == pytest.approx(1.0 / 1.05) and met is True  # 0.952 >= 0.95
    value, met = by_title["station_verify/dd_read"]
    assert value == pytest.approx(2.0 / 2.1) and met is True
    value, met = by_title["station_random_write/station_zero_write"]
    assert value == pytest.approx(1.05 / 1.2) and met is False  # 0.875 < 0.9
    value, met = by_title["wipe_nist_clear_full/nwipe"]
    assert value == pytest.approx(10.0 / 5.0) and met is True  # 2x faster than nwipe


def test_a_tie_with_nwipe_is_not_faster() -> None:
    results = full_results() | {"wipe_nist_clear_full": samples(10.0), "nwipe": samples(10.0)}
    bar = next(b for b in wr.BARS if b.numerator == "wipe_nist_clear_full")
    assert wr.judge(bar, results) == (1.0, False)


def test_missing_side_is_not_judged() -> None:
    results = full_results()
    del results["nwipe"]
    bar = next(b for b in wr.BARS if b.denominator == "nwipe")
    assert wr.judge(bar, results) == (None, None)


def test_section_says_which_bars_are_met_and_shows_every_run() -> None:
    text = wr.render_section(report(full_results()))
    assert text.startswith(wr.BEGIN) and text.endswith(wr.END)
    assert "| random overwrite >= 0.9 x zero overwrite | 0.875 | 0.923 | >= 0.9 | **no** |" in text
    assert "| overwrite >= 0.95 x dd write | 0.952 | 0.857 | >= 0.95 | yes |" in text
    assert "| kernel | 6.1.0-test |" in text and "Test CPU" in text
    assert "3 runs each" in text and "2026-11-22 23:00 UTC" in text
    assert "dd if=/dev/zero of=/dev/loopN oflag=direct bs=4M count=256" in text
    assert "| nwipe | 10.00 s | 9.00 s | 11.00 s |" in text  # the every-run table


def test_section_marks_what_was_not_measured() -> None:
    results = full_results()
    del results["nwipe"]
    text = wr.render_section(report(results, skipped={"nwipe": "nwipe is not installed"}))
    assert "not measured | | > 1 | n/a (nwipe is not installed) |" in text


def test_nwipe_note_tells_whether_its_read_back_hit_the_device() -> None:
    half = report(full_results())
    assert any(
        "the rest of its read-back came from RAM" in note for note in wr.notes(half, 8 * 1024**2)
    )
    whole = full_results() | {"nwipe": samples(10.0, dev_read=GIB)}
    assert any("RAM did not flatter it" in note for note in wr.notes(report(whole), 8 * 1024**2))


def test_replace_section_keeps_the_rest_of_the_document() -> None:
    sync = "<!-- sync:begin -->\nsync figures\n<!-- sync:end -->"
    document = f"# Performance\n\n{sync}\n\n{wr.BEGIN}\nold\n{wr.END}\n\nfooter\n"
    updated = wr.replace_section(document, f"{wr.BEGIN}\nnew\n{wr.END}")
    assert updated == f"# Performance\n\n{sync}\n\n{wr.BEGIN}\nnew\n{wr.END}\n\nfooter\n"


def test_replace_section_appends_or_creates() -> None:
    section = f"{wr.BEGIN}\nnew\n{wr.END}"
    assert wr.replace_section("", section) == f"# Performance\n\n{section}\n"
    assert wr.replace_section("# Perf\n\nsync\n", section) == f"# Perf\n\nsync\n\n{section}\n"


@pytest.mark.parametrize(
    "document",
    [f"{wr.BEGIN}\nno end\n", f"{wr.END}\n{wr.BEGIN}\n", f"{wr.BEGIN}{wr.BEGIN}\n{wr.END}"],
)
def test_damaged_markers_are_refused_not_overwritten(document: str) -> None:
    with pytest.raises(wr.MarkerError, match="markers are damaged"):
        wr.replace_section(document, f"{wr.BEGIN}\nnew\n{wr.END}")


def test_write_doc_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "performance.md"
    wr.write_doc(target, f"{wr.BEGIN}\nx\n{wr.END}")
    assert target.read_text().startswith("# Performance\n\n" + wr.BEGIN)


NWIPE_LOG = """\
[2026/11/22 23:36:25]  notice: Found /dev/loop0, VIRT, Loopback device,  67 MB, S/N=
[2026/11/22 23:36:26]  notice: Verified pass 1 of 1, round 1 of 1, on '/dev/loop0'.
********************************* Drive Status *********************************
!   Device | Status | Thru-put | HH:MM:SS | Model/Serial Number
--------------------------------------------------------------------------------
     loop0 | Erased |   0 B/s | 00:00:01 | Loopback device/
--------------------------------------------------------------------------------
[2026/11/22 23:36:27] Total Throughput   0 B/s, Fill With Zeros, 1R+NB+VL
********************************************************************************
"""


def test_nwipe_log_naming_only_our_device_passes() -> None:
    log = wr.parse_nwipe_log(NWIPE_LOG)
    assert log.found == ["/dev/loop0"] and log.status == {"loop0": "Erased"}
    wr.check_nwipe_touched_only(log, "/dev/loop0")


def test_nwipe_log_naming_another_disk_stops_the_bench() -> None:
    other = NWIPE_LOG.replace(
        "     loop0 | Erased |", "     loop0 | Erased |   0 B/s |\n       sda | Erased |"
    )
    with pytest.raises(wr.BenchError, match="other devices"):
        wr.check_nwipe_touched_only(wr.parse_nwipe_log(other), "/dev/loop0")
    found = NWIPE_LOG + "notice: Found /dev/vda, VIRT, disk,  1 TB, S/N=\n"
    with pytest.raises(wr.BenchError, match="other devices"):
        wr.check_nwipe_touched_only(wr.parse_nwipe_log(found), "/dev/loop0")


def test_nwipe_log_without_erased_status_stops_the_bench() -> None:
    failed = NWIPE_LOG.replace("| Erased |", "| FAILED |")
    with pytest.raises(wr.BenchError, match="did not report"):
        wr.check_nwipe_touched_only(wr.parse_nwipe_log(failed), "/dev/loop0")


def test_paired_ratio_pairs_runs_of_the_same_index() -> None:
    results = {
        # A slow second run hits both sides: each pair is 0.9, the medians' ratio is not.
        "station_zero_write": samples(1.0 / 0.9, 3.0 / 0.9, 1.2 / 0.9),
        "dd_write": samples(1.0, 3.0, 1.2),
    }
    bar = wr.BARS[0]
    assert wr.paired_ratio(bar, results) == pytest.approx(0.9)
    assert wr.paired_ratio(bar, {"dd_write": samples(1.0)}) is None


def test_section_counts_runs_per_measure_when_they_differ() -> None:
    results = full_results()
    results["dd_write"] = samples(1.0, 1.1, 0.9, 1.0, 1.0)
    text = wr.render_section(report(results, runs=5))
    assert "runs per measure: 5 dd_write, 3 station_zero_write" in text
    assert "| run 5 |" in text
    assert "median of run-by-run ratios" in text
