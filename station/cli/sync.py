"""`station sync`: push the journal's pending records to the inventory once, in the
foreground, and say what happened; `station sync --status`: what is pending, the last
error, and whether the inventory answers and has approved this bench."""

from __future__ import annotations

import argparse
from pathlib import Path

from station.cli.lang import tr
from station.errors import SyncError, UsageError
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal, default_journal_path
from station.sync.client import URL_ENV, InventoryClient, server_url
from station.sync.pusher import DEFAULT_BATCH, Pusher


def add_bench_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server", metavar="URL", help=f"inventory server URL (default: ${URL_ENV})"
    )
    parser.add_argument(
        "--journal", type=Path, default=None, help="journal file (default: in the data folder)"
    )
    parser.add_argument(
        "--key-dir", type=Path, default=None, help="bench key folder (default: in the data folder)"
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="send pending records to the inventory server now",
        description="Push every pending signed record to the inventory server, oldest "
        "first, then print a summary. With --status, only report.",
    )
    add_bench_options(parser)
    parser.add_argument(
        "--status",
        action="store_true",
        help="report pending records, the last error and the server's view",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"records per request (default {DEFAULT_BATCH})",
    )
    parser.set_defaults(func=run)


def _journal(args: argparse.Namespace) -> Journal:
    key = load_or_create_bench_key(args.key_dir)
    return Journal(args.journal or default_journal_path(), key)


def run(args: argparse.Namespace) -> int:
    url = server_url(args.server)
    with _journal(args) as journal:
        if args.status:
            return _status(journal, url)
        if url is None:
            raise UsageError(f"no inventory server: pass --server URL or set {URL_ENV}")
        client = InventoryClient(url)
        try:
            summary = Pusher(journal, client, batch_size=args.batch).drain_once()
        finally:
            client.close()
    print(
        tr(
            f"sent {summary.sent} record(s) to {url}"
            + (f" ({summary.duplicates} already there)" if summary.duplicates else "")
            + (f", and {summary.resent} the server had lost" if summary.resent else "")
            + f"; {summary.pending} pending",
            f"{summary.sent} enregistrement(s) envoyé(s) à {url}"
            + (f" ({summary.duplicates} déjà là)" if summary.duplicates else "")
            + (f", et {summary.resent} que le serveur avait perdu(s)" if summary.resent else "")
            + f" ; {summary.pending} en attente",
        )
    )
    if summary.error is not None:
        raise SyncError(summary.error)
    return 0


def _status(journal: Journal, url: str | None) -> int:
    pending, count, error = journal.pending_count(), journal.count(), journal.last_error()
    print(tr("bench", "banc") + f": {journal.bench_id}")
    print(tr(f"pending: {pending} of {count} record(s)", f"en attente : {pending} sur {count}"))
    print(tr("last error", "dernière erreur") + f": {error or tr('none', 'aucune')}")
    if url is None:
        print(
            tr("server: not configured", "serveur : non configuré")
            + f" (--server URL / ${URL_ENV})"
        )
        return 0
    client = InventoryClient(url, timeout=(3.05, 10.0), key=journal.key.private_key)
    try:
        client.health()
        bench = client.bench(journal.bench_id)
    except SyncError as exc:
        print(
            tr("server", "serveur")
            + f": {url}: "
            + tr("offline", "injoignable")
            + f" ({exc.one_line()})"
        )
        return 0
    finally:
        client.close()
    if bench is None:
        print(
            tr("server", "serveur")
            + f": {url}: "
            + tr(
                "online; this bench is not enrolled (run `station enrol`)",
                "en ligne ; ce banc n'est pas inscrit (lancez `station enrol`)",
            )
        )
    else:
        status, last = bench.get("status"), bench.get("last_seq")
        print(
            tr("server", "serveur")
            + f": {url}: "
            + tr(
                f"online; bench {status}, holds up to seq {last}",
                f"en ligne ; banc {status}, enregistrements reçus jusqu'au n° {last}",
            )
        )
    return 0
