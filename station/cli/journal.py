"""`station journal export FILE`, `station journal key`, `station journal check`,
`station journal reseal-head`: the bench's own signed journal, from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from station.cli.lang import tr
from station.errors import ConfigError, SyncError
from station.journal.head import ChainHead
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal, default_journal_path
from station.sync.client import URL_ENV, InventoryClient, server_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "journal",
        help="export the signed journal, show the bench key",
        description="The bench's signed, hash-chained journal of step records.",
    )
    parser.add_argument(
        "--journal", type=Path, default=None, help="journal file (default: in the data folder)"
    )
    parser.add_argument(
        "--key-dir", type=Path, default=None, help="bench key folder (default: data folder)"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write every signed record, in order, for `station verify`"
    )
    export.add_argument(
        "file", type=Path, metavar="FILE", help="'.jsonl' writes JSON lines; '-' is stdout"
    )
    export.set_defaults(func=run_export)
    key = actions.add_parser("key", help="print the bench public key (PEM) and its keyid")
    key.set_defaults(func=run_key)
    check = actions.add_parser(
        "check",
        help="verify the whole local chain, its index, and that it did not get shorter",
    )
    check.add_argument(
        "--server",
        metavar="URL",
        help=f"also compare with what the inventory holds (default: ${URL_ENV} when set)",
    )
    check.set_defaults(func=run_check)
    reseal = actions.add_parser(
        "reseal-head",
        help="after an unreadable chain head: check the whole journal, then save its tip "
        "as the new head (supervisor)",
    )
    reseal.add_argument(
        "--server",
        metavar="URL",
        help=f"also compare with what the inventory holds (default: ${URL_ENV} when set)",
    )
    reseal.set_defaults(func=run_reseal_head)


def _open(args: argparse.Namespace) -> Journal:
    key = load_or_create_bench_key(args.key_dir)
    return Journal(args.journal or default_journal_path(), key)


def run_export(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        chain = journal.export_chain()
    if args.file.suffix == ".jsonl":
        text = "".join(json.dumps(envelope, sort_keys=True) + "\n" for envelope in chain)
    else:
        text = json.dumps(chain, indent=1, sort_keys=True) + "\n"
    if str(args.file) == "-":
        sys.stdout.write(text)
        return 0
    temporary = args.file.with_name(f".{args.file.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(args.file)
    except OSError as exc:
        raise ConfigError(f"cannot write {args.file}: {exc.strerror}") from exc
    print(
        tr(
            f"exported {len(chain)} records to {args.file}",
            f"{len(chain)} enregistrements exportés dans {args.file}",
        )
    )
    return 0


def run_key(args: argparse.Namespace) -> int:
    key = load_or_create_bench_key(args.key_dir)
    sys.stdout.write(key.public_pem())
    # On stderr so that `station journal key > bench.pub.pem` gives a clean PEM file.
    print(f"keyid: {key.keyid}", file=sys.stderr)
    print(f"bench_id: {key.bench_id}", file=sys.stderr)
    return 0


def _server_head(journal: Journal, url: str | None) -> ChainHead | None:
    """How far the inventory holds this bench's chain; None when it cannot be asked."""
    if url is None:
        return None
    client = InventoryClient(url, timeout=(3.05, 10.0), key=journal.key.private_key)
    try:
        bench = client.bench(journal.bench_id)
    except SyncError as exc:
        print(
            tr(
                f"note: inventory {url} not compared ({exc.one_line()})",
                f"remarque : pas de comparaison avec l'inventaire {url} ({exc.one_line()})",
            ),
            file=sys.stderr,
        )
        return None
    finally:
        client.close()
    last = None if bench is None else bench.get("last_seq")
    return ChainHead(journal.bench_id, last, "") if isinstance(last, int) else None


def run_check(args: argparse.Namespace) -> int:
    with _open(args) as journal:
        server = _server_head(journal, server_url(args.server))
        if journal.count() == 0:
            journal.check_not_shortened(server)
            print(
                tr(
                    "the journal is empty: nothing recorded yet",
                    "le journal est vide : rien n'est encore enregistré",
                )
            )
            return 0
        report = journal.verify(server)
        pending = journal.pending_count()
    print(
        tr(
            f"valid chain: {report.count} records of {report.bench_id}, "
            f"seq {report.first_seq} to {report.last_seq}; {pending} waiting to be sent",
            f"chaîne valide : {report.count} enregistrements de {report.bench_id}, "
            f"n° {report.first_seq} à {report.last_seq} ; {pending} en attente d'envoi",
        )
    )
    return 0


def run_reseal_head(args: argparse.Namespace) -> int:
    """Save a new chain head once the journal checks (station.journal.head): what the
    supervisor runs when `journal check` says the saved head is unreadable."""
    with _open(args) as journal:
        server = _server_head(journal, server_url(args.server))
        head, written = journal.reseal_head(server)
    checked = tr(
        "journal checked (signatures, chain, index)",
        "journal vérifié (signatures, chaîne, index)",
    )
    if written:
        print(
            checked
            + tr(
                f"; new chain head saved: seq {head.seq}",
                f" ; nouvelle tête de chaîne enregistrée : n° {head.seq}",
            )
        )
    else:
        print(
            checked
            + tr(
                f"; the saved chain head already says seq {head.seq}: nothing to change",
                f" ; la tête de chaîne enregistrée dit déjà n° {head.seq} : rien à changer",
            )
        )
    if server is not None:
        print(
            tr(
                f"the inventory holds this bench up to seq {server.seq}: the journal is not "
                "shorter",
                f"l'inventaire a ce banc jusqu'au n° {server.seq} : le journal n'est pas plus "
                "court",
            )
        )
    else:
        # Records deleted while the head was unreadable would not show in the journal.
        print(
            tr(
                "not compared with the inventory: run it again with --server URL to be sure "
                "no record was deleted before",
                "pas de comparaison avec l'inventaire : relancez avec --server URL pour "
                "vérifier qu'aucun enregistrement n'a été supprimé avant",
            )
        )
    return 0
