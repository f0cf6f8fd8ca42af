"""`station host [--json] [--devicehub FILE] [--record --operator ID]`: this machine's
identity and hardware (dmidecode, sysfs), optionally signed into the journal."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from station.cli.lang import tr
from station.cli.report_io import add_journal_options, open_journal, write_output
from station.devices.hostinfo import collect_host_facts
from station.domain.host import HostFacts, inventory_record
from station.errors import StationError
from station.journal.store import default_journal_path
from station.reports.certificate import all_records
from station.reports.devicehub import DiskEvidence, devicehub_snapshot, disk_evidence


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "host",
        help="this machine's identity and hardware (and battery health)",
        description="Read SMBIOS (dmidecode), batteries (/sys/class/power_supply), the "
        "OEM licence table (MSDM: only a digest), CPU, RAM and disks.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--devicehub", type=Path, default=None, metavar="FILE.json",
                        help="write an eReuse Devicehub snapshot")  # fmt: skip
    parser.add_argument("--record", action="store_true", help="append a signed HostInventory")
    parser.add_argument("--operator", default="bench", metavar="ID")
    add_journal_options(parser)
    parser.set_defaults(func=run)


def describe(facts: HostFacts) -> str:
    """The machine in a few lines, in the command line's language."""
    host = facts.host
    unknown = tr("not recorded", "non relevé")
    ram = f"{facts.ram_bytes / 2**30:.1f} GiB" if facts.ram_bytes else unknown
    lines = [
        tr("machine", "machine")
        + f": {host.manufacturer or '?'} {host.product or '?'} ({facts.chassis or '?'})",
        tr("serial", "n° de série") + f": {host.serial or unknown}  uuid: {host.uuid or unknown}",
        tr("asset tag", "n° d'inventaire") + f": {host.asset_tag or unknown}",
        tr("cpu", "processeur") + ": " + (", ".join(p.model for p in facts.processors) or unknown),
        tr("ram", "mémoire") + f": {ram}",
    ]
    for battery in facts.batteries:
        health = f"{battery.health_percent} %" if battery.health_percent is not None else "?"
        lines.append(
            tr(
                f"battery {battery.name}: health {health}, cycles {battery.cycle_count}, "
                f"design {battery.design_wh} Wh ({battery.source})",
                f"batterie {battery.name} : santé {health}, {battery.cycle_count} cycles, "
                f"capacité d'origine {battery.design_wh} Wh ({battery.source})",
            )
        )
    present = tr("present", "présente") if facts.msdm_sha256 else tr("absent", "absente")
    lines.append(tr("OEM licence (MSDM)", "licence constructeur (MSDM)") + f": {present}")
    for disk in facts.disks:
        lines.append(
            tr("disk", "disque")
            + f": {disk.model or '?'} {disk.serial or ''} {disk.size_bytes} "
            + tr("bytes", "octets")
        )
    lines += [tr("note", "remarque") + f": {note}" for note in facts.notes]
    return "\n".join(lines)


def _journal_evidence(args: argparse.Namespace) -> list[DiskEvidence]:
    """SMART and erasure of this machine's disks from the bench's journal, when it has any
    (a bench that erased the disks it now describes); none otherwise."""
    if not (args.journal or default_journal_path()).is_file():
        return []  # no journal here: do not make one (nor a bench key) just to look
    try:
        with open_journal(args) as journal:
            return disk_evidence(all_records(journal))
    except StationError:
        return []


def run(args: argparse.Namespace) -> int:
    facts = collect_host_facts()
    print(facts.model_dump_json(indent=1) if args.json else describe(facts))
    now = datetime.now(UTC)
    if args.devicehub is not None:
        evidence = _journal_evidence(args)
        text = json.dumps(devicehub_snapshot(facts, now, evidence), indent=1)
        write_output(args.devicehub, (text + "\n").encode())
    if args.record:
        with open_journal(args) as journal:
            stored = journal.append(inventory_record(facts, args.operator, now))
        print(
            tr(
                f"recorded host inventory: seq {stored.seq} ({stored.record_id[:16]}…)",
                f"inventaire de la machine enregistré : n° {stored.seq} ({stored.record_id[:16]}…)",
            )
        )
    return 0
