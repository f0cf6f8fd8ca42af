"""The `station` command line. Each sub-command lives in its own module of this package
and exposes `register(subparsers)`; errors become one clear line and an exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from station import __version__
from station.errors import StationError

# Sub-command modules, in the order `station --help` lists them.
COMMANDS = [
    "station.cli.wipe",
    "station.cli.profiles",
    "station.cli.disks",
    "station.cli.smart",
    "station.cli.verify",
    "station.cli.journal",
    "station.cli.sync",
    "station.cli.enrol",
    "station.cli.deploy",
    "station.cli.image",
    "station.cli.keys",
    "station.cli.certificate",
    "station.cli.daily_log",
    "station.cli.signoff",
    "station.cli.host",
    "station.cli.label",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station",
        description="Station: disk health, erasure, imaging and signed records for a "
        "reconditioning bench.",
    )
    parser.add_argument("--version", action="version", version=f"station {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except StationError as exc:
        print(f"station: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("station: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
