"""`station label HOST_SERIAL... --size 62x29|70x37|100x50 --out FILE.pdf`: asset labels
for machines whose host inventory is in the journal."""

from __future__ import annotations

import argparse
from pathlib import Path

from station.cli.lang import tr
from station.cli.report_io import add_journal_options, open_journal, write_output
from station.errors import UsageError
from station.reports.certificate import all_records
from station.reports.labels import STOCKS, AssetLabel, labels_pdf
from station.sync.client import URL_ENV, server_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "label",
        help="asset labels (PDF) for machines in the journal",
        description="One label per machine: asset tag, model, serial, grade and a QR code "
        "to its record (the inventory page when a server is configured).",
    )
    parser.add_argument("hosts", nargs="+", metavar="HOST_SERIAL")
    parser.add_argument("--size", choices=sorted(STOCKS), default="62x29")
    parser.add_argument("--grade", default=None, help="cosmetic grade printed on the label")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    parser.add_argument("--server", default=None, metavar="URL", help=f"(${URL_ENV})")
    add_journal_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = server_url(args.server)
    with open_journal(args) as journal:
        records = [r for r in all_records(journal) if r.kind == "host_inventory"]
    labels = []
    for serial in args.hosts:
        found = [r for r in records if (r.body().get("host") or {}).get("serial") == serial]
        if not found:
            raise UsageError(
                f"no host inventory for serial {serial!r}: run `station host --record`"
            )
        host = found[-1].body()["host"]
        model = " ".join(str(host[k]) for k in ("manufacturer", "product") if host.get(k))
        qr = (
            f"{url.rstrip('/')}/v1/devices/{serial}"
            if url
            else f"station:record:{found[-1].record_id}"
        )
        labels.append(
            AssetLabel(
                asset_tag=host.get("asset_tag") or serial,
                model=model or "?",
                serial=serial,
                grade=args.grade,
                qr=qr,
            )
        )
    write_output(args.out, labels_pdf(labels, STOCKS[args.size]))
    print(
        tr(
            f"{len(labels)} label(s) on {args.size} written to {args.out}",
            f"{len(labels)} étiquette(s) {args.size} écrite(s) dans {args.out}",
        )
    )
    return 0
