"""`station tui [--lang en] [--bench-profile FILE]`: the bench TUI for trainees,
students and the supervisor. `--print-bench-schema` prints the bench profile's JSON
schema (profiles/schema/bench-profile.schema.json is generated from it)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.domain.bench_profile import BenchProfile
from station.errors import UsageError
from station.tui.i18n import LANGUAGES

if TYPE_CHECKING:
    from station.tui.app import StationApp

LANG_ENV = "STATION_LANG"


def bench_schema() -> dict[str, Any]:
    return BenchProfile.model_json_schema()


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="the bench screen: reconditioning, batches, the supervisor's log",
        description="Start the bench TUI (French by default). Only disks that pass the "
        "safety checks can be started; with STATION_DEVICE_ALLOWLIST set, only the "
        "devices it lists are shown. STATION_SIMULATED_BENCH=1 makes the simulated "
        "bench of `make demo` (made-up identities, labelled SIMULÉ).",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"language of the screens (default: ${LANG_ENV}, else fr)",
    )
    parser.add_argument(
        "--bench-profile", type=Path, metavar="FILE", help="bench profile YAML (profiles/bench/)"
    )
    parser.add_argument("--operator", help="skip the identification screen (demo, kiosk)")
    parser.add_argument(
        "--print-bench-schema", action="store_true", help="print the bench profile JSON schema"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    if args.print_bench_schema:
        print(json.dumps(bench_schema(), indent=2, ensure_ascii=False))
        return 0
    bench_app(args.bench_profile, args.lang, args.operator).run(mouse=False)
    return 0


def bench_app(bench_profile: Path | None, lang: str | None, operator: str | None) -> StationApp:
    """The bench screen as `station tui` makes it (`make demo` too): its services from
    the bench profile and the environment. Tests drive this same app with Pilot."""
    from station.tui.app import StationApp
    from station.wiring import build_services

    chosen = lang or os.environ.get(LANG_ENV) or "fr"
    if chosen not in LANGUAGES:
        raise UsageError(f"{LANG_ENV}={chosen}: the screens exist in {', '.join(LANGUAGES)}")
    services = build_services(bench_file=bench_profile)
    return StationApp(services, lang=chosen, operator=operator)
