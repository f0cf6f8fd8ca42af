"""`station certificate DISK_SERIAL|RECORD_ID --out FILE.pdf [--json FILE] [--lang en]`:
a disk's certificate of erasure from its signed records; `--host`, `--lot` and
`--batch-day` put every disk of one machine, of one donation lot, or judged on one day in
one document (summary table, then each certificate), with `--csv` for the table."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from station.cli.lang import doc_lang, result_fr, tr
from station.cli.report_io import add_journal_options, open_journal, write_output
from station.errors import UsageError
from station.reports.batch import (
    batch_csv,
    batch_pdf,
    host_certificates,
    lot_certificates,
    window_certificates,
)
from station.reports.certificate import build_certificate
from station.reports.certificate_pdf import certificate_pdf
from station.reports.wording import parse_day
from station.reports.workshop import WORKSHOP_ENV, find_workshop
from station.sync.client import URL_ENV, server_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "certificate",
        help="certificate of erasure of a disk (PDF, JSON), or a batch summary",
        description="Write a disk's certificate of erasure from its signed records. "
        "SUBJECT is the disk's serial or WWN, or the id of one of its records. "
        "With --host SERIAL or --batch-day dd/mm/yyyy, one PDF summarises several disks.",
    )
    parser.add_argument("subject", nargs="?", metavar="DISK_SERIAL|RECORD_ID")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE.json")
    parser.add_argument("--lang", choices=("fr", "en"), default=None)
    parser.add_argument(
        "--server", metavar="URL", default=None, help=f"inventory URL for the QR (${URL_ENV})"
    )
    parser.add_argument(
        "--host", metavar="HOST_SERIAL|ASSET_TAG", help="every disk of this machine"
    )
    parser.add_argument("--lot", metavar="LOT", help="every disk of this donation lot")
    parser.add_argument(
        "--csv", type=Path, default=None, metavar="FILE.csv", help="the summary table as CSV"
    )
    parser.add_argument(
        "--workshop",
        type=Path,
        default=None,
        metavar="FILE.yaml",
        help=f"workshop profile: name, address, SIRET (${WORKSHOP_ENV})",
    )
    parser.add_argument("--batch-day", metavar="DD/MM/YYYY", help="every disk erased that day")
    add_journal_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    chosen = [x for x in (args.subject, args.host, args.lot, args.batch_day) if x]
    if len(chosen) != 1:
        raise UsageError(
            tr(
                "give one of: a disk serial or record id, --host, --lot, --batch-day",
                "donnez un seul de : numéro de série ou id d'enregistrement, --host, --lot, "
                "--batch-day",
            )
        )
    url = server_url(args.server)
    workshop = find_workshop(args.workshop)
    with open_journal(args) as journal:
        if args.subject:
            if args.csv is not None:
                raise UsageError(
                    tr(
                        "--csv is for documents of several disks (--lot, --host)",
                        "--csv sert aux documents de plusieurs disques (--lot, --host)",
                    )
                )
            certificate = build_certificate(journal, args.subject, inventory_url=url)
            write_output(args.out, certificate_pdf(certificate, doc_lang(args), workshop))
            if args.json is not None:
                text = json.dumps(certificate.to_json(doc_lang(args)), indent=1, ensure_ascii=False)
                write_output(args.json, (text + "\n").encode())
            result = certificate.facts.get("result") or "not established"
            print(
                tr(
                    f"certificate written to {args.out} (result: {result})",
                    f"certificat écrit dans {args.out} (résultat : {result_fr(result)})",
                )
            )
            return 0
        donor = None
        if args.host:
            title, certificates = args.host, host_certificates(journal, args.host, url)
        elif args.lot:
            title, certificates = f"lot {args.lot}", lot_certificates(journal, args.lot, url)
            donor = next((c.facts["donor"] for c in certificates if c.facts.get("donor")), None)
        else:
            try:
                day = parse_day(args.batch_day)
            except ValueError as exc:
                raise UsageError(str(exc)) from exc
            title, certificates = args.batch_day, window_certificates(journal, day, url)
        if not certificates:
            raise UsageError(
                tr(
                    f"no erased disk for {title} in this journal",
                    f"aucun disque effacé pour {title} dans ce journal",
                )
            )
        write_output(args.out, batch_pdf(title, certificates, doc_lang(args), workshop, donor))
        print(
            tr(
                f"summary of {len(certificates)} disk(s) written to {args.out}",
                f"récapitulatif de {len(certificates)} disque(s) écrit dans {args.out}",
            )
        )
        if args.csv is not None:
            write_output(args.csv, batch_csv(certificates, doc_lang(args)))
            print(tr(f"summary table written to {args.csv}", f"tableau écrit dans {args.csv}"))
        return 0
