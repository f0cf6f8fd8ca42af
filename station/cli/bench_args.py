"""What the commands that act for a person at the bench share: the bench profile (who
works here, who signs) and a secret read without echo, from a terminal or from stdin."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from station.domain.bench_profile import BenchProfile, default_bench
from station.paths import bench_profile_path
from station.yamlfile import load_model


def add_bench_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bench-profile",
        type=Path,
        metavar="FILE",
        default=None,
        help="bench profile YAML (default: $STATION_BENCH_PROFILE, else banc.yaml in the "
        "data folder)",
    )
    parser.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the supervisor's secret from the first line of stdin (scripts)",
    )


def bench_file(args: argparse.Namespace) -> Path | None:
    chosen: Path | None = args.bench_profile or bench_profile_path()
    return chosen


def bench_of(args: argparse.Namespace) -> BenchProfile:
    # Not station.wiring.load_bench: that module pulls the HTTP and TUI stacks in.
    path = bench_file(args)
    return default_bench() if path is None else load_model(path, BenchProfile)


def read_secret(args: argparse.Namespace, prompt: str) -> str | None:
    """The secret from stdin (--secret-stdin) or typed at the terminal without echo;
    None when there is neither (never an argument: it would show in `ps`)."""
    if args.secret_stdin:
        return sys.stdin.readline().rstrip("\r\n") or None
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt) or None
    except EOFError:
        return None
