"""The pure half of bench/wipe.py: samples, medians, bars, and the markdown it writes.

No device, no subprocess: tests/unit/test_bench_wipe.py runs all of it.
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import perf_doc

MarkerError = perf_doc.MarkerError  # wipe.py and the tests catch it from here

BEGIN, END = "<!-- wipe:begin -->", "<!-- wipe:end -->"
MIB, GIB = 1024**2, 1024**3
DD_BLOCK = 4 * MIB
BLKFLSBUF = 0x1261
ALLOWLIST_ENV = "STATION_DEVICE_ALLOWLIST"

# What each measure is, in the order the tables list them.
LABELS = {
    "dd_write": "dd write, O_DIRECT, bs=4M (device write limit)",
    "station_zero_write": "Station overwrite, zeros pass (in-process)",
    "station_random_write": "Station overwrite, random pass, AES-128-CTR (in-process)",
    "dd_read": "dd read, O_DIRECT, bs=4M (device read limit)",
    "station_verify": "Station full read-back of zeros (in-process)",
    "wipe_nist_clear": "`station wipe --profile nist-clear` (zeros + sampled verify)",
    "wipe_nist_clear_full": "`station wipe --profile nist-clear-full` (zeros + full verify)",
    "nwipe": "nwipe zero + verify last",
}
RATE_METRICS = (
    "dd_write",
    "station_zero_write",
    "station_random_write",
    "dd_read",
    "station_verify",
)
WALL_METRICS = ("wipe_nist_clear", "wipe_nist_clear_full", "nwipe")
# Orders of the write group: the random pass is never last, so the read group that
# follows always finds zeros; dd and Station's zeros pass each go first half the time.
WRITE_ORDERS = (
    ("station_random_write", "dd_write", "station_zero_write"),
    ("station_random_write", "station_zero_write", "dd_write"),
    ("dd_write", "station_random_write", "station_zero_write"),
    ("station_zero_write", "station_random_write", "dd_write"),
)
WHOLE_ORDERS = tuple(itertools.permutations(WALL_METRICS))
# Timed writes that start from a device reset to zeros (an untimed dd before each).
RESET_BEFORE = ("dd_write", "station_zero_write", "station_random_write")


class BenchError(Exception):
    """The benchmark could not measure something; the message says what."""


@dataclass(frozen=True)
class Sample:
    """One timed run of one tool."""

    seconds: float
    nbytes: int  # bytes the tool processed (for a rate)
    dev_read: int = 0  # bytes the loop device really read meanwhile
    dev_written: int = 0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.nbytes / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Bar:
    """`numerator / denominator` of medians must reach `threshold` (rates, or speed-ups)."""

    title: str
    numerator: str
    denominator: str
    threshold: float
    strict: bool = False  # True: must exceed the threshold (faster than), not just reach it


BARS = (
    Bar("overwrite >= 0.95 x dd write", "station_zero_write", "dd_write", 0.95),
    Bar("verify >= 0.95 x dd read", "station_verify", "dd_read", 0.95),
    Bar(
        "random overwrite >= 0.9 x zero overwrite",
        "station_random_write",
        "station_zero_write",
        0.9,
    ),
    Bar(
        "nist-clear-full wipe+verify faster than nwipe (like for like: full read-back)",
        "wipe_nist_clear_full",
        "nwipe",
        1.0,
        strict=True,
    ),
    Bar(
        "nist-clear wipe+verify faster than nwipe (sampled read-back, the default)",
        "wipe_nist_clear",
        "nwipe",
        1.0,
        strict=True,
    ),
)


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def parse_size(text: str) -> int:
    """`2G`, `512M`, `65536` (bytes); binary units."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(i?B)?\s*", text, re.IGNORECASE)
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 2G, 512M)")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(match.group(1)) * 1024**power


def speed(samples: list[Sample], metric: str) -> float:
    """What bars compare: a median rate (bytes/s), or 1 / median seconds for wall metrics."""
    if metric in WALL_METRICS:
        return 1.0 / median([s.seconds for s in samples])
    return median([s.rate for s in samples])


def judge(bar: Bar, results: dict[str, list[Sample]]) -> tuple[float | None, bool | None]:
    """(ratio, met); (None, None) when one side was not measured."""
    if not results.get(bar.numerator) or not results.get(bar.denominator):
        return None, None
    value = ratio(
        speed(results[bar.numerator], bar.numerator),
        speed(results[bar.denominator], bar.denominator),
    )
    if value is None:
        return None, None
    return value, (value > bar.threshold if bar.strict else value >= bar.threshold)


def human_rate(rate: float) -> str:
    return f"{rate / 1e6:,.0f} MB/s"


@dataclass
class BenchReport:
    """Everything the markdown section shows."""

    date: str
    runs: int
    size: int
    machine: dict[str, str]
    commands: list[str]
    results: dict[str, list[Sample]]
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> why


def _figure(metric: str, samples: list[Sample]) -> tuple[str, str]:
    """(median, min-max) as text."""
    if metric in WALL_METRICS:
        values = [s.seconds for s in samples]
        return f"{median(values):.2f} s", f"{min(values):.2f}-{max(values):.2f} s"
    rates = [s.rate / 1e6 for s in samples]
    return f"{median(rates):,.0f} MB/s", f"{min(rates):,.0f}-{max(rates):,.0f}"


def paired_ratio(bar: Bar, results: dict[str, list[Sample]]) -> float | None:
    """The median of run-by-run ratios: run i of one side against run i of the other.

    Both sides of a pair ran back to back, so a slow spell of the shared host weighs on
    both; the median of these ratios is steadier than the ratio of two medians."""
    left, right = results.get(bar.numerator, []), results.get(bar.denominator, [])
    pairs = [
        ratio(speed([a], bar.numerator), speed([b], bar.denominator))
        for a, b in zip(left, right, strict=False)
    ]
    values = [value for value in pairs if value is not None]
    return median(values) if values else None


def render_section(report: BenchReport) -> str:
    """The markdown between the wipe markers (markers included)."""
    size = f"{report.size / GIB:g} GiB" if report.size >= GIB else f"{report.size // MIB} MiB"
    out = [
        BEGIN,
        "## Wipe engine: Station vs dd and nwipe",
        "",
        f"Measured by `make bench` (`bench/wipe.py`) on {report.date}: a {size} loop device "
        "(`losetup --direct-io=on`) over a file on the backing filesystem below; the tools "
        f"alternate run by run, {_run_counts(report)}, medians shown. "
        "Do not edit this section by hand: `make bench` rewrites it.",
        "",
        "### Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in report.machine.items()),
        "",
        "### Bars",
        "",
        "| bar | ratio of medians | median of run-by-run ratios | needed | met |",
        "|---|---|---|---|---|",
    ]
    for bar in BARS:
        value, met = judge(bar, report.results)
        need = f"> {bar.threshold:g}" if bar.strict else f">= {bar.threshold:g}"
        if value is None:
            why = report.skipped.get(bar.numerator) or report.skipped.get(bar.denominator)
            out.append(f"| {bar.title} | not measured | | {need} | n/a ({why or 'no data'}) |")
        else:
            paired = paired_ratio(bar, report.results)
            shown = f"{paired:.3f}" if paired is not None else ""
            verdict = "yes" if met else "**no**"
            out.append(f"| {bar.title} | {value:.3f} | {shown} | {need} | {verdict} |")
    out += [
        "",
        "Ratios compare throughputs (bytes/s), or for whole wipes the speed-up "
        "(nwipe's median wall time / Station's). A bar is judged on the ratio of medians; "
        "the run-by-run column pairs the two sides of each run (they ran back to back) "
        "and shows how much of a gap is the shared host's noise.",
        "",
        "### Medians",
        "",
        "| measure | median | min-max | device read / written per run (median) |",
        "|---|---|---|---|",
    ]
    for metric, label in LABELS.items():
        samples = report.results.get(metric)
        if not samples:
            why = report.skipped.get(metric, "not run")
            out.append(f"| {label} | not measured | | {why} |")
            continue
        mid, spread = _figure(metric, samples)
        read = median([s.dev_read for s in samples]) / MIB
        written = median([s.dev_written for s in samples]) / MIB
        out.append(f"| {label} | {mid} | {spread} | {read:,.0f} MiB / {written:,.0f} MiB |")
    out += ["", "### Every run", "", _runs_table(report), "", "### Commands", "", "```"]
    out += report.commands
    out += ["```", ""]
    if report.notes:
        out += ["### Reading these figures", ""]
        out += [f"- {note}" for note in report.notes]
        out.append("")
    out.append(END)
    return "\n".join(out)


def _run_counts(report: BenchReport) -> str:
    counts = sorted({len(samples) for samples in report.results.values() if samples})
    if len(counts) <= 1:
        return f"{counts[0] if counts else report.runs} runs each"
    return "runs per measure: " + ", ".join(
        f"{len(report.results[m])} {m}" for m in LABELS if report.results.get(m)
    )


def _runs_table(report: BenchReport) -> str:
    columns = max([len(s) for s in report.results.values()] + [report.runs])
    header = "| measure | " + " | ".join(f"run {i + 1}" for i in range(columns)) + " |"
    rows = [header, "|---" * (columns + 1) + "|"]
    for metric in LABELS:
        samples = report.results.get(metric, [])
        if not samples:
            continue
        if metric in WALL_METRICS:
            cells = [f"{s.seconds:.2f} s" for s in samples]
        else:
            cells = [f"{s.rate / 1e6:,.0f} MB/s" for s in samples]
        cells += [""] * (columns - len(cells))
        rows.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def replace_section(document: str, section: str) -> str:
    """`document` with the wipe section replaced (or appended); nothing else changes."""
    return perf_doc.replace_section(document, section, BEGIN, END)


@dataclass(frozen=True)
class NwipeLog:
    found: list[str]  # devices nwipe says it found
    status: dict[str, str]  # device name -> status in the "Drive Status" table


def parse_nwipe_log(text: str) -> NwipeLog:
    found = re.findall(r"notice: Found (/dev/\S+?),", text)
    status: dict[str, str] = {}
    in_table = False
    for line in text.splitlines():
        if "Drive Status" in line:
            in_table = True
            continue
        if in_table:
            row = re.match(r"\s*(\S+)\s*\|\s*(\w[\w ]*?)\s*\|", line)
            if row and row.group(1) not in {"!", "Device"}:
                status[row.group(1)] = row.group(2)
            elif line.startswith("****"):
                in_table = False
    return NwipeLog(found=found, status=status)


def check_nwipe_touched_only(log: NwipeLog, device: str) -> None:
    """Raise unless nwipe found and erased `device` and nothing else."""
    name = Path(device).name
    others = [d for d in log.found if d != device] + [d for d in log.status if d != name]
    if others:
        raise BenchError(f"nwipe mentions other devices {others}: stop and inspect the log")
    if log.status.get(name) != "Erased":
        raise BenchError(f"nwipe did not report {device} as erased: {log.status}")


def notes(report: BenchReport, chunk: int) -> list[str]:
    found = [
        f"Station's chunk size: {chunk // MIB} MiB. Overwrite: two writes in flight, the next "
        "random chunk filled meanwhile by two helper threads. Read-back: two reads in "
        "flight while a third buffer is compared. dd: 4 MiB blocks, one at a time.",
        "Station's in-process write includes the flush every 256 MiB (the checkpoint "
        "interval) and the final flush; dd's time has no flush at all.",
        "Before each timed write (dd, Station zeros, Station random) an untimed dd resets "
        "the device to zeros: on this virtual disk a write's speed depends on what it "
        "replaces (zeros over random data ran ~1.4 x faster than zeros over zeros in "
        "alternated trials), so without the reset the order of the tools would decide "
        "the ratios.",
        "Whole-wipe times are the wall time of the command, Python start-up, safety checks "
        "and checkpoints included; nwipe's include its own start-up (device scan, "
        "hdparm/smartctl probes).",
    ]
    nwipe = report.results.get("nwipe")
    if nwipe:
        read = median([s.dev_read for s in nwipe]) / MIB
        found.append(
            "nwipe writes and reads through the page cache (no O_DIRECT). The device read "
            f"{read:,.0f} MiB per nwipe run (median) for a {report.size / MIB:,.0f} MiB device: "
            + (
                "its read-back plus reads during its write pass, so RAM did not flatter it."
                if read >= report.size / MIB
                else "the rest of its read-back came from RAM, which a disk larger than RAM "
                "would not allow."
            )
        )
    return found


def write_doc(path: Path, section: str) -> None:
    perf_doc.write_section(path, section, BEGIN, END)
