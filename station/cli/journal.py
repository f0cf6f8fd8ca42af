"""`station journal export FILE`, `station journal key`, `station journal check`:
the bench's own signed journal, from the command line."""

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
        f"valid chain: {report.count} records of {report.bench_id}, "
        f"seq {report.first_seq} to {report.last_seq}; {pending} waiting to be sent"
    )
    return 0
