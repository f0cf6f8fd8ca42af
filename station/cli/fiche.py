"""`station fiche SERIAL_OR_ASSET_TAG --out FILE.pdf`: the machine's « fiche de
reconditionnement » (functions tested, grade, data removal) from its signed records."""

from __future__ import annotations

import argparse
from pathlib import Path

from station.cli.lang import cli_language, tr
from station.cli.report_io import add_journal_options, open_journal, write_output
from station.reports.fiche import fiche_of, fiche_pdf


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "fiche",
        help="the machine's refurbishing sheet (PDF): functions tested and data removal",
        description="One A4 page for one machine: each functional test's result, the grade "
        "and its reasons, and the erasure of each disk recorded with it, all read from "
        "signed records (docs/functional-tests.md).",
    )
    parser.add_argument("host", metavar="SERIAL_OR_ASSET_TAG")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    add_journal_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with open_journal(args) as journal:
        fiche = fiche_of(journal, args.host)
        data = fiche_pdf(fiche, cli_language())
    write_output(args.out, data)
    print(
        tr(
            f"refurbishing sheet of {args.host}: {len(fiche.tests)} test(s), "
            f"{len(fiche.erasures)} disk(s), written to {args.out}",
            f"fiche de reconditionnement de {args.host} : {len(fiche.tests)} test(s), "
            f"{len(fiche.erasures)} disque(s), écrite dans {args.out}",
        )
    )
    return 0
