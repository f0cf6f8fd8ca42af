"""`station sign-off --date dd/mm/yyyy --supervisor ID`: the supervisor's signed
approval (or --reject) of one day's records, appended to the bench journal."""

from __future__ import annotations

import argparse

from station.cli.daily_log import chosen_day
from station.cli.report_io import add_journal_options, open_journal
from station.reports.daily_sources import sign_off


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sign-off",
        help="the supervisor signs off a day's log",
        description="Append a signed SupervisorSignoff record naming the day's first and "
        "last records. Records added to that day later show as a discrepancy in the log.",
    )
    parser.add_argument("--date", default=None, metavar="DD/MM/YYYY", help="default: today")
    parser.add_argument(
        "--supervisor", required=True, metavar="ID", help="pseudonymous id, e.g. sup-2"
    )
    parser.add_argument("--reject", action="store_true", help="record a rejection instead")
    parser.add_argument("--comment", default=None)
    add_journal_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    day = chosen_day(args.date)
    decision = "rejected" if args.reject else "approved"
    with open_journal(args) as journal:
        stored = sign_off(journal, day, args.supervisor, decision=decision, comment=args.comment)
    print(
        f"{day.strftime('%d/%m/%Y')} {decision} by {args.supervisor}: record seq {stored.seq} "
        f"({stored.record_id[:16]}…)"
    )
    return 0
