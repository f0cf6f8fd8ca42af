"""`station enrol --server URL`: present this bench's public key to the inventory.

The key only counts once a supervisor approves it at the server; until then the
inventory refuses this bench's records (they wait in the outbox, nothing is lost).
"""

from __future__ import annotations

import argparse
import socket

from station.cli.lang import tr
from station.cli.sync import add_bench_options
from station.errors import UsageError
from station.journal.keys import load_or_create_bench_key
from station.sync.client import URL_ENV, InventoryClient, server_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "enrol",
        help="present this bench's key to the inventory server",
        description="Send this bench's public key to the inventory server; a supervisor "
        "then approves it there (station-inventory bench approve BENCH_ID).",
    )
    add_bench_options(parser)
    parser.add_argument("--name", help="a name people recognise (default: the host name)")
    parser.set_defaults(func=run)


STATUS_FR = {"pending": "en attente d'approbation", "approved": "approuvé", "revoked": "révoqué"}


def run(args: argparse.Namespace) -> int:
    url = server_url(args.server)
    if url is None:
        raise UsageError(f"no inventory server: pass --server URL or set {URL_ENV}")
    key = load_or_create_bench_key(args.key_dir)
    client = InventoryClient(url)
    try:
        answer = client.enrol(key.bench_id, args.name or socket.gethostname(), key.private_key)
    finally:
        client.close()
    status = answer.get("status")
    said = STATUS_FR.get(str(status), str(status))
    bench, kid = key.bench_id, key.keyid[:16]
    print(
        tr(
            f"bench {bench} (key {kid}…) is {status} at {url}",
            f"banc {bench} (clé {kid}…) : {said} sur {url}",
        )
    )
    if status == "pending":
        print(
            tr(
                "a supervisor approves it with: ",
                "un encadrant l'approuve avec : ",
            )
            + f"station-inventory bench approve {bench}"
        )
    return 0
