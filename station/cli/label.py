"""`station label SERIAL_OR_ASSET_TAG... --size 62x29|70x37|100x50 --out FILE.pdf`: asset labels
for machines whose host inventory is in the journal."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from station.cli.lang import tr
from station.cli.report_io import add_journal_options, open_journal, write_output
from station.errors import UsageError
from station.reports.certificate import all_records
from station.reports.host_labels import host_label
from station.reports.labels import STOCKS, labels_pdf
from station.sync.client import URL_ENV, server_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "label",
        help="asset labels (PDF) for machines in the journal",
        description="One label per machine: asset tag, model, serial, grade and a QR code "
        "to its record (the inventory page when a server is configured).",
    )
    parser.add_argument("hosts", nargs="+", metavar="SERIAL_OR_ASSET_TAG")
    parser.add_argument("--size", choices=sorted(STOCKS), default="62x29")
    parser.add_argument(
        "--grade",
        default=None,
        help="grade printed on the label instead of the recorded one (station fiche)",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    parser.add_argument("--server", default=None, metavar="URL", help=f"(${URL_ENV})")
    add_journal_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = server_url(args.server)
    with open_journal(args) as journal:
        records = all_records(journal)
    labels = []
    for key in args.hosts:
        label = host_label(records, key, url)
        if label is None:
            raise UsageError(
                tr(
                    f"no host inventory for serial or asset tag {key!r}: run `station host "
                    "--record`, or finish a disk with its asset tag on the bench screen",
                    f"aucun inventaire de machine pour le numéro ou l'étiquette {key!r} : "
                    "lancez `station host --record`, ou terminez un disque avec son "
                    "étiquette sur l'écran du banc",
                )
            )
        # The recorded grade unless the command line gives one (then printed as given).
        labels.append(replace(label, grade=args.grade) if args.grade else label)
    write_output(args.out, labels_pdf(labels, STOCKS[args.size]))
    print(
        tr(
            f"{len(labels)} label(s) on {args.size} written to {args.out}",
            f"{len(labels)} étiquette(s) {args.size} écrite(s) dans {args.out}",
        )
    )
    return 0
