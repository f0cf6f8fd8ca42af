"""`station supervisor add ID --bench-profile FILE`: give a supervisor a secret (PIN
or passphrase) to sign the day. Only its slow salted hash (scrypt) is written to the
bench profile; the secret is typed twice without echo (or read from --secret-stdin)."""

from __future__ import annotations

import argparse
import re

from station.bench_file import set_supervisor_secret
from station.cli.bench_args import add_bench_option, bench_file, read_secret
from station.cli.lang import tr
from station.domain.bench_profile import PSEUDONYM
from station.domain.supervisor_secret import MIN_LENGTH, hash_secret
from station.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "supervisor",
        help="give a supervisor the secret that signs the day",
        description="Store a supervisor's PIN or passphrase, as a scrypt hash, in the "
        "bench profile (and list the id as a supervisor of the bench).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="set (or change) a supervisor's secret")
    add.add_argument("supervisor", metavar="ID", help="pseudonymous id, e.g. formateur-01")
    add.add_argument("--lang", choices=("fr", "en"), default=None)
    add_bench_option(add)
    add.set_defaults(func=run_add)


def run_add(args: argparse.Namespace) -> int:
    path = bench_file(args)
    if path is None:
        raise UsageError(
            tr(
                "which bench? give --bench-profile FILE",
                "quel banc ? indiquez --bench-profile FICHIER",
            )
        )
    if not re.match(PSEUDONYM, args.supervisor):
        raise UsageError(
            tr(
                f"{args.supervisor!r} is not an id (letters, digits, . _ -)",
                f"{args.supervisor!r} n'est pas un identifiant (lettres, chiffres, . _ -)",
            )
        )
    secret = read_secret(args, tr("New secret: ", "Nouveau code : "))
    if secret is None:
        raise UsageError(
            tr(
                "no secret: run it at a terminal, or pass --secret-stdin",
                "aucun code : lancez-la dans un terminal, ou avec --secret-stdin",
            )
        )
    if not args.secret_stdin:
        again = read_secret(args, tr("Same secret again: ", "Le même code, encore : "))
        if again != secret:
            raise UsageError(
                tr(
                    "the two secrets differ: nothing was changed",
                    "les deux codes sont différents : rien n'a changé",
                )
            )
    if len(secret) < MIN_LENGTH:
        raise UsageError(
            tr(
                f"too short: at least {MIN_LENGTH} characters",
                f"trop court : au moins {MIN_LENGTH} caractères",
            )
        )
    set_supervisor_secret(path, args.supervisor, hash_secret(secret))
    print(
        tr(
            f"{args.supervisor} can now sign the day on this bench ({path})",
            f"{args.supervisor} peut maintenant signer la journée de ce banc ({path})",
        )
    )
    return 0
