"""`station support [--out FILE] [--bench-profile FILE]`: one archive a supervisor can
send when something went wrong at the bench.

It holds what a developer needs and nothing personal: versions (Station, Python, the
kernel, each device tool), the technical log, `station disks --json`, the result of
`journal check`, and the bench profile with every secret replaced. Record bodies,
operator lists and keys stay on the bench.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import platform
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import yaml

from station import __version__
from station.applog import log_files
from station.cli.disks import as_json
from station.cli.lang import tr
from station.devices.runner import VERSION_ARGS, SubprocessRunner
from station.devices.udev import Selection, list_disks
from station.domain.clock import utc_now
from station.errors import ConfigError, StationError
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal, default_journal_path
from station.paths import data_dir

log = logging.getLogger(__name__)

# Keys whose values never leave the bench, whatever profile section they sit in.
SECRET_WORDS = ("password", "passphrase", "secret", "pin", "token", "key", "psk", "hash")
REMOVED = "<retiré>"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "support",
        help="write one archive for the supervisor to send (versions, log, disks, journal)",
        description="Write a .tar.gz with Station's versions, the technical log, the disk "
        "list, the journal check and the bench profile (secrets removed). No record "
        "contents and no personal data.",
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="archive to write")
    parser.add_argument("--bench-profile", type=Path, metavar="FILE", help="bench profile YAML")
    parser.set_defaults(func=handle)


def without_secrets(value: Any) -> Any:
    """A copy of a YAML document with the value of every secret-looking key replaced."""
    if isinstance(value, dict):
        return {
            k: REMOVED
            if any(word in str(k).lower() for word in SECRET_WORDS) and v
            else without_secrets(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def versions() -> dict[str, Any]:
    runner = SubprocessRunner()
    return {
        "station": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "tools": {tool: runner.version_of(tool) for tool in sorted(VERSION_ARGS)},
    }


def disks_json() -> Any:
    try:
        return [as_json(d) for d in list_disks(Selection())]
    except (OSError, StationError) as exc:
        return {"error": str(exc)}


def journal_check() -> dict[str, Any]:
    if not default_journal_path().exists():
        return {"ok": True, "records": 0, "journal": "absent"}
    try:
        with Journal(default_journal_path(), load_or_create_bench_key(None)) as journal:
            if journal.count() == 0:
                return {"ok": True, "records": 0}
            report = journal.verify()
            return {
                "ok": True,
                "records": report.count,
                "first_seq": report.first_seq,
                "last_seq": report.last_seq,
                "pending": journal.pending_count(),
            }
    except (OSError, StationError) as exc:
        return {"ok": False, "error": str(exc)}


def bench_profile_text(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return f"# cannot read {path.name}: {exc}\n"
    return yaml.safe_dump(without_secrets(document), allow_unicode=True, sort_keys=False)


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(data))


def write_support_archive(out: Path, bench_profile: Path | None) -> list[str]:
    """Write the archive; returns the names of its members."""
    members: dict[str, bytes] = {
        "versions.json": json.dumps(versions(), indent=2).encode(),
        "disks.json": json.dumps(disks_json(), indent=2, ensure_ascii=False).encode(),
        "journal-check.json": json.dumps(journal_check(), indent=2).encode(),
    }
    profile = bench_profile_text(bench_profile)
    if profile is not None:
        members["bench-profile.yaml"] = profile.encode()
    for path in log_files():
        members[f"logs/{path.name}"] = path.read_bytes()
    try:
        with tarfile.open(out, "w:gz") as archive:
            for name, data in members.items():
                _add(archive, name, data)
    except OSError as exc:
        raise ConfigError(f"cannot write {out}: {exc.strerror}") from exc
    return list(members)


def handle(args: argparse.Namespace) -> int:
    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    out = args.out or data_dir() / f"station-support-{stamp}.tar.gz"
    log.info("support archive requested: %s", out)
    names = write_support_archive(out, args.bench_profile)
    print(
        tr(
            f"support archive written: {out} ({len(names)} files)",
            f"archive d'assistance écrite : {out} ({len(names)} fichiers)",
        )
    )
    print(
        tr(
            "Send this file to the Station team; it holds no personal data.",
            "Envoyez ce fichier à l'équipe Station ; il ne contient aucune donnée personnelle.",
        )
    )
    return 0
