#!/usr/bin/env python3
"""Station's wipe engine side by side with dd and nwipe on the same loop device.

`make bench` runs `bench/wipe.py --write-doc docs/performance.md`. It makes a loop
device over a file (2 GiB by default) with `losetup --direct-io=on`, so the host's page
cache flatters no one, and alternates the tools run by run:

- write: dd (O_DIRECT, the device write limit), Station's zeros pass, its random pass;
- read: dd (O_DIRECT, the device read limit), Station's full read-back;
- whole: `station wipe` with nist-clear and nist-clear-full (CLI subprocess), and nwipe.

Station's phases are timed in-process around station.jobs.overwrite.write_pass and
station.jobs.verify.read_back; whole wipes are wall-clock times of the command. Every
measure also records what the device really read and wrote (/sys/block/loopN/stat), so
a tool served from a cache shows it. Medians and ratios go between the wipe markers of
docs/performance.md; the rest of that file (e.g. the sync section) is left untouched.

Safety: the only device touched is the loop device this script made; Station runs with
STATION_DEVICE_ALLOWLIST set to it, and nwipe runs in a private mount namespace whose
/dev holds that one disk node (plus null/zero/random/urandom), and its log is checked to
name that device only. The loop device and its file are removed even on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # wipe_report, wipe_tools

from wipe_report import (
    ALLOWLIST_ENV,
    DD_BLOCK,
    GIB,
    MIB,
    RESET_BEFORE,
    WALL_METRICS,
    WHOLE_ORDERS,
    WRITE_ORDERS,
    BenchError,
    BenchReport,
    MarkerError,
    Sample,
    human_rate,
    notes,
    parse_size,
    render_section,
    write_doc,
)
from wipe_tools import REPO, LoopDevice, Tools


def machine_facts(workdir: Path, size: int) -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    fs = _quiet(["findmnt", "-n", "-o", "FSTYPE,SOURCE", "--target", str(workdir)])
    return {
        "kernel": platform.release(),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024**2:.0f} GiB",
        "backing filesystem": f"{fs or 'unknown'} ({workdir})",
        "loop device": f"{size / GIB:g} GiB file, `losetup --direct-io=on`",
        "Python": platform.python_version(),
        "dd": _quiet(["dd", "--version"]).splitlines()[0] if shutil.which("dd") else "missing",
        "nwipe": _quiet(["nwipe", "--version"]) if shutil.which("nwipe") else "not installed",
    }


def _quiet(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def check_can_run() -> str | None:
    """Why this machine cannot run the bench, or None."""
    if os.geteuid() != 0:
        return "needs root (loop devices)"
    if not Path("/dev/loop-control").exists() or shutil.which("losetup") is None:
        return "needs loop devices (/dev/loop-control, losetup)"
    return None


def bench(args: argparse.Namespace, log: Callable[[str], None]) -> BenchReport:
    load_at_start = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="station-bench-", dir=args.workdir))
    results: dict[str, list[Sample]] = {}
    skipped: dict[str, str] = {}
    if shutil.which("nwipe") is None:
        skipped["nwipe"] = "nwipe is not installed (scripts/install-system-deps.sh installs it)"
    elif shutil.which("unshare") is None:
        skipped["nwipe"] = "unshare missing: nwipe only runs in a sandbox that sees one disk"
    groups = set(args.only)
    loop: LoopDevice | None = None
    try:
        loop = LoopDevice(workdir / "disk.img", args.size)
        env = dict(os.environ, STATION_DATA_DIR=str(workdir / "data"))
        env[ALLOWLIST_ENV] = loop.device
        os.environ[ALLOWLIST_ENV] = loop.device  # the in-process engine checks it too
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        tools = Tools(loop, workdir, args.chunk, env, args.size)
        log(f"{loop.device} over {loop.backing}: first fill (not timed)")
        tools.dd(tools.dd_write_cmd(), args.size)
        measures: dict[str, Callable[[], Sample]] = {
            "dd_write": lambda: tools.dd(tools.dd_write_cmd(), args.size),
            "station_zero_write": lambda: tools.station_write(random=False),
            "station_random_write": lambda: tools.station_write(random=True),
            "dd_read": lambda: tools.dd(tools.dd_read_cmd(), args.size),
            "station_verify": tools.station_verify,
            "wipe_nist_clear": lambda: tools.station_wipe("nist-clear"),
            "wipe_nist_clear_full": lambda: tools.station_wipe("nist-clear-full"),
            "nwipe": tools.nwipe,
        }
        for index in range(max(args.runs, args.whole_runs)):
            order: list[str] = []
            if "write" in groups and index < args.runs:
                order += WRITE_ORDERS[index % len(WRITE_ORDERS)]
            if "read" in groups and index < args.runs:
                if "write" not in groups and index == 0:
                    tools.dd(tools.dd_write_cmd(), args.size)
                order += ("dd_read", "station_verify")[:: 1 if index % 2 == 0 else -1]
            if "whole" in groups and index < args.whole_runs:
                order += WHOLE_ORDERS[index % len(WHOLE_ORDERS)]
            for metric in order:
                if metric in skipped:
                    continue
                if metric in RESET_BEFORE:
                    # Untimed: every timed write finds the same content (zeros), since
                    # this virtual disk's speed depends on what a write replaces.
                    tools.dd(tools.dd_write_cmd(), args.size)
                sample = measures[metric]()
                results.setdefault(metric, []).append(sample)
                figure = (
                    f"{sample.seconds:.2f} s" if metric in WALL_METRICS else human_rate(sample.rate)
                )
                log(f"run {index + 1} {metric:22s} {figure} {sample.note}")
        commands = _commands(tools, args)
    finally:
        if loop is not None:
            loop.close()
        shutil.rmtree(workdir, ignore_errors=True)
    machine = machine_facts(Path(args.workdir), args.size)
    # The machine is shared: its load says how much of the spread is other people's work.
    machine["load average (1 min)"] = (
        f"{load_at_start:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    )
    report = BenchReport(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        runs=args.runs,
        size=args.size,
        machine=machine,
        commands=commands,
        results=results,
        skipped=skipped,
    )
    report.notes = notes(report, args.chunk)
    return report


def _commands(tools: Tools, args: argparse.Namespace) -> list[str]:
    dev = "/dev/loopN"

    def show(cmd: list[str]) -> str:
        text = " ".join(cmd).replace(tools.loop.device, dev).replace(str(tools.workdir), "$WORK")
        return text.replace(sys.executable, "python")

    chunk = f"chunk={tools.chunk // MIB} MiB"
    return [
        "# make bench runs: .venv/bin/python bench/wipe.py --write-doc docs/performance.md",
        f"# this run: --runs {args.runs} --whole-runs {args.whole_runs} "
        f"--size {args.size // MIB}M --chunk {tools.chunk // MIB}M",
        f"truncate -s {args.size} $WORK/disk.img",
        "losetup --find --show --direct-io=on $WORK/disk.img   # -> /dev/loopN",
        show(tools.dd_write_cmd()),
        show(tools.dd_read_cmd()),
        f"station.jobs.overwrite.write_pass(BlockTarget.open({dev}), zeros | random, {chunk})",
        f"station.jobs.verify.read_back(BlockTarget.open({dev}), zeros, whole device, {chunk})",
        show(tools.wipe_cmd("nist-clear", tools.workdir / "wipe.json")),
        show(tools.wipe_cmd("nist-clear-full", tools.workdir / "wipe.json")),
        "unshare --mount sh -c '<private /dev with only /dev/loopN>' "
        + show(tools.nwipe_cmd(tools.workdir / "nwipe.log")),
    ]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--runs", type=int, default=9, help="runs of the write and read measures (default 9)"
    )
    parser.add_argument(
        "--whole-runs",
        type=int,
        default=3,
        help="runs of the whole wipes and nwipe (default 3; nwipe takes ~1 min a run)",
    )
    parser.add_argument(
        "--size", type=parse_size, default=2 * GIB, help="loop device size (default 2G)"
    )
    parser.add_argument(
        "--chunk",
        type=parse_size,
        default=None,
        help="Station's chunk size (default: DEFAULT_CHUNK)",
    )
    parser.add_argument(
        "--workdir", default="/var/tmp", help="folder for the backing file (not tmpfs)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=("write", "read", "whole"), default=["write", "read", "whole"]
    )
    parser.add_argument(
        "--write-doc", metavar="FILE", help="write the wipe section of this markdown file"
    )
    parser.add_argument("--raw", metavar="FILE", help="also save every sample as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.whole_runs < 1:
        parser.error("--runs and --whole-runs must be at least 1")
    if args.size < 64 * MIB or args.size % DD_BLOCK:
        parser.error("--size must be a multiple of 4 MiB, at least 64M")
    if args.chunk is None:
        from station.jobs.overwrite import DEFAULT_CHUNK

        args.chunk = DEFAULT_CHUNK
    return args


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(REPO))
    args = parse_args(argv)
    why = check_can_run()
    if why is not None:
        print(f"bench/wipe.py: skipped: {why}", file=sys.stderr)
        return 0

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    # SIGTERM unwinds like Ctrl-C, so the loop device and its file are still removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        report = bench(args, log)
    except (BenchError, subprocess.CalledProcessError, OSError) as exc:
        detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else exc
        print(f"bench/wipe.py: {detail}", file=sys.stderr)
        return 1
    section = render_section(report)
    print(section)
    if args.raw:
        raw = {k: [dataclasses.asdict(s) for s in v] for k, v in report.results.items()}
        Path(args.raw).write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    if args.write_doc:
        try:
            write_doc(Path(args.write_doc), section)
        except MarkerError as exc:
            print(f"bench/wipe.py: {args.write_doc}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote the wipe section of {args.write_doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
