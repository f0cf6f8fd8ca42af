"""`station sign-off --date dd/mm/yyyy --supervisor ID|BADGE`: the supervisor's signed
approval (or --reject) of one day's records, appended to the bench journal once the
supervisor's secret (`station supervisor add`) matched. Without a terminal and without
--secret-stdin it refuses (exit 5) and writes nothing."""

from __future__ import annotations

import argparse
import sys

from station.cli.bench_args import add_bench_option, bench_of, read_secret
from station.cli.daily_log import chosen_day
from station.cli.lang import tr
from station.cli.report_io import add_journal_options, open_journal
from station.errors import NotProven
from station.reports.daily_sources import journal_daily_log, prove_supervisor, sign_off
from station.reports.wording import PARIS, parse_utc


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sign-off",
        help="the supervisor signs off a day's log",
        description="Append a signed SupervisorSignoff record naming the day's first and "
        "last records, once the supervisor's secret matched the bench profile. Records "
        "added to that day later show as a discrepancy in the log.",
    )
    parser.add_argument("--date", default=None, metavar="DD/MM/YYYY", help="default: today")
    parser.add_argument(
        "--supervisor", required=True, metavar="ID", help="supervisor id or badge, e.g. sup-2"
    )
    parser.add_argument("--reject", action="store_true", help="record a rejection instead")
    parser.add_argument("--comment", default=None)
    parser.add_argument("--lang", choices=("fr", "en"), default=None)
    add_bench_option(parser)
    add_journal_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    day = chosen_day(args.date)
    bench = bench_of(args)
    secret = read_secret(args, tr("Supervisor secret: ", "Code du formateur : "))
    if secret is None:
        raise NotProven(
            tr(
                "sign-off needs the supervisor's secret: run it at a terminal, or pass "
                "--secret-stdin; nothing was signed",
                "la signature demande le code du formateur : lancez-la dans un terminal, "
                "ou avec --secret-stdin ; rien n'a été signé",
            )
        )
    try:
        supervisor = prove_supervisor(bench, args.supervisor, secret)
    except NotProven:
        raise NotProven(
            tr(
                "unknown supervisor id or wrong secret: nothing was signed",
                "identifiant ou code incorrect : rien n'a été signé",
            )
        ) from None
    decision = "rejected" if args.reject else "approved"
    with open_journal(args) as journal:
        previous = journal_daily_log(journal, day).signoff
        stored = sign_off(journal, day, supervisor, decision=decision, comment=args.comment)
    if previous is not None:
        when = parse_utc(previous.signed_at).astimezone(PARIS).strftime("%H:%M")
        print(
            tr(
                f"warning: this replaces the sign-off by {previous.supervisor} at {when} "
                f"({previous.decision}, records {previous.first_seq}-{previous.last_seq})",
                f"attention : ce visa remplace celui de {previous.supervisor} à {when} "
                f"({_decision_fr(previous.decision)}, enregistrements "
                f"{previous.first_seq}-{previous.last_seq})",
            ),
            file=sys.stderr,
        )
    print(
        tr(
            f"{day.strftime('%d/%m/%Y')} {decision} by {supervisor}: record seq {stored.seq} "
            f"({stored.record_id[:16]}…)",
            f"{day.strftime('%d/%m/%Y')} {_decision_fr(decision)} par {supervisor} : "
            f"enregistrement n° {stored.seq} ({stored.record_id[:16]}…)",
        )
    )
    return 0


def _decision_fr(decision: str) -> str:
    return "visée" if decision == "approved" else "refusée"
