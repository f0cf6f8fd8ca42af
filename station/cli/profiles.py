"""`station profiles`: list the wipe profiles, show one, or print the JSON schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

from station.domain.profiles import WipeProfile
from station.jobs.profiles import load_wipe_profile, profile_files


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("profiles", help="list, show or check wipe profiles")
    parser.add_argument("action", choices=["list", "show", "schema"], nargs="?", default="list")
    parser.add_argument("name", nargs="?", help="profile name or YAML file (for show)")
    parser.add_argument("--lang", choices=["fr", "en"], default="fr")
    parser.set_defaults(func=handle)


def schema() -> dict[str, Any]:
    return WipeProfile.model_json_schema()


def handle(args: argparse.Namespace) -> int:
    if args.action == "schema":
        print(json.dumps(schema(), indent=2, ensure_ascii=False))
        return 0
    if args.action == "show":
        profile = load_wipe_profile(args.name or "nist-clear")
        print(json.dumps(profile.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return 0
    for name in profile_files("wipe"):
        profile = load_wipe_profile(name)
        print(f"{name:<18} {profile.title.get(args.lang)}")
    return 0
