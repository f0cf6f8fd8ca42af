"""`station daily-log [--date dd/mm/yyyy] --format pdf|csv|text --out FILE`: the bench's
log of one day for the supervisor (Europe/Paris dates)."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from station.cli.lang import doc_lang, tr
from station.cli.report_io import add_journal_options, open_journal, write_output
from station.errors import UsageError
from station.reports.daily_log_render import daily_log_csv, daily_log_pdf, daily_log_text
from station.reports.daily_sources import journal_daily_log
from station.reports.wording import PARIS, parse_day


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "daily-log",
        help="the day's log for the supervisor (PDF, CSV for LibreOffice/Excel, text)",
        description="Every machine and disk handled on one day, by whom, with steps, "
        "results, durations, failures, licences (hashed), records not yet synced and the "
        "supervisor's sign-off checked against the chain.",
    )
    parser.add_argument("--date", default=None, metavar="DD/MM/YYYY", help="default: today")
    parser.add_argument("--format", choices=("pdf", "csv", "text"), default="text")
    parser.add_argument("--out", type=Path, default=None, help="default: stdout (text only)")
    parser.add_argument("--lang", choices=("fr", "en"), default=None)
    add_journal_options(parser)
    parser.set_defaults(func=run)


def chosen_day(text: str | None) -> date:
    if text is None:
        return datetime.now(PARIS).date()
    try:
        return parse_day(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    day = chosen_day(args.date)
    if args.format != "text" and args.out is None:
        raise UsageError(
            tr(
                f"--format {args.format} needs --out FILE",
                f"--format {args.format} demande --out FICHIER",
            )
        )
    with open_journal(args) as journal:
        log = journal_daily_log(journal, day)
    if args.format == "pdf":
        data = daily_log_pdf(log, doc_lang(args))
    elif args.format == "csv":
        data = daily_log_csv(log, doc_lang(args))
    else:
        data = daily_log_text(log, doc_lang(args)).encode()
    if args.out is None:
        sys.stdout.write(data.decode())
    else:
        write_output(args.out, data)
        print(
            tr(
                f"daily log of {day.strftime('%d/%m/%Y')} written to {args.out}",
                f"journal du {day.strftime('%d/%m/%Y')} écrit dans {args.out}",
            )
        )
    return 1 if log.discrepancies else 0
