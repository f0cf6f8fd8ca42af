"""`station disks`: the disks of this bench, their slot, identity and whether Station may
erase them (and if not, why). A table on a terminal, JSON with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from station.devices.safety import TargetInspection
from station.devices.udev import Selection, list_disks

COLUMNS = {
    "en": ("slot", "disk", "model", "serial", "size", "bus", "media", "status"),
    "fr": ("baie", "disque", "modèle", "n° de série", "taille", "bus", "support", "état"),
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "disks",
        help="list the disks and whether each one may be erased",
        description="List whole disks with their bench slot, identity, media kind and "
        "eligibility. A refused disk shows every reason. Loop devices are listed "
        "only with --include-loop (demo and tests).",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also list what is normally hidden (zram, dm, md, optical drives)",
    )
    parser.add_argument(
        "--include-loop", action="store_true", help="also list attached loop devices"
    )
    parser.add_argument("--lang", choices=["fr", "en"], default="fr", help="language of reasons")
    parser.set_defaults(func=handle)


def human_size(size: int) -> str:
    # Drive makers count in powers of ten; the label on the drive is what people compare.
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def as_json(inspection: TargetInspection) -> dict[str, Any]:
    return {
        "identity": inspection.identity.model_dump(mode="json"),
        "eligible": inspection.eligibility.eligible,
        "reasons": [r.model_dump(mode="json") for r in inspection.eligibility.reasons],
    }


def table_rows(disks: list[TargetInspection], lang: str) -> list[tuple[str, ...]]:
    ok, refused = ("ok", "refused") if lang == "en" else ("possible", "refusé")
    rows: list[tuple[str, ...]] = []
    for disk in disks:
        ident = disk.identity
        status = ok if disk.eligibility.eligible else refused
        rows.append(
            (
                str(ident.slot or "-"),
                ident.name,
                ident.model or "?",
                ident.serial or "?",
                human_size(ident.size_bytes),
                ident.bus.value,
                ident.media_kind.value,
                status,
            )
        )
    return rows


def print_table(disks: list[TargetInspection], lang: str) -> None:
    rows = [COLUMNS[lang], *table_rows(disks, lang)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip())
        if index == 0:
            continue
        for reason in disks[index - 1].eligibility.reasons:
            print(f"      - {reason.text(lang)}")
    if not disks:
        print("aucun disque trouvé" if lang == "fr" else "no disk found", file=sys.stderr)


def handle(args: argparse.Namespace) -> int:
    selection = Selection(include_loop=args.include_loop, include_all=args.all)
    disks = list_disks(selection)
    if args.json:
        print(json.dumps([as_json(d) for d in disks], indent=2, ensure_ascii=False))
    else:
        print_table(disks, args.lang)
    return 0
