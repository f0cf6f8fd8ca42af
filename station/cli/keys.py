"""`station keys reserve|list|sync`: the bench's reserved licence keys from the key pool.

Reserve while online; deploys then take keys from this reservation even offline; `sync`
tells the inventory which keys went to which machine and gives back the others.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from station.cli.lang import tr
from station.errors import SyncError, UsageError
from station.imaging.keypool_client import KeyPoolClient
from station.imaging.keystore import KEYSTORE_FILE, KeyStore
from station.journal.keys import load_or_create_bench_key
from station.paths import data_dir
from station.sync.client import URL_ENV, server_url


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "keys",
        help="licence keys reserved by this bench from the inventory's key pool",
        description="Reserve refurbisher licence keys while online, list them (by sha256), "
        "and report assignments / give back unused keys.",
    )
    parser.add_argument("--server", metavar="URL", help=f"inventory URL (default: ${URL_ENV})")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    reserve = actions.add_parser("reserve", help="reserve COUNT keys of PRODUCT from POOL")
    reserve.add_argument("--pool", required=True)
    reserve.add_argument("--product", required=True)
    reserve.add_argument("--count", type=int, default=10)
    reserve.set_defaults(func=handle_reserve)
    listing = actions.add_parser("list", help="the keys this bench holds, by sha256")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=handle_list)
    sync = actions.add_parser("sync", help="report assignments, give back failed keys")
    sync.set_defaults(func=handle_sync)


def open_keystore() -> KeyStore:
    return KeyStore(data_dir() / KEYSTORE_FILE)


def _client(args: argparse.Namespace) -> KeyPoolClient:
    url = server_url(args.server)
    if url is None:
        raise UsageError(f"no inventory server: pass --server URL or set {URL_ENV}")
    return KeyPoolClient(url, load_or_create_bench_key())


def handle_reserve(args: argparse.Namespace) -> int:
    if not 1 <= args.count <= 500:
        raise UsageError("--count must be between 1 and 500")
    keys = _client(args).reserve(pool=args.pool, product=args.product, count=args.count)
    store = open_keystore()
    try:
        store.add_reserved(keys, product=args.product, pool=args.pool)
    finally:
        store.close()
    n, product, pool = len(keys), args.product, args.pool
    print(
        tr(
            f"reserved {n} key(s) of {product} from pool {pool}",
            f"{n} clé(s) {product} réservée(s) dans le lot {pool}",
        )
    )
    return 0 if keys else 3


def handle_list(args: argparse.Namespace) -> int:
    store = open_keystore()
    try:
        held = store.listing()
    finally:
        store.close()
    if args.json:
        print(json.dumps([k.__dict__ for k in held], indent=2))
        return 0
    for key in held:
        device = f" -> {key.device_id}" if key.device_id else ""
        print(f"{key.key_sha256[:16]}…  {key.product:<16} {key.pool:<12} {key.status}{device}")
    print(tr(f"{len(held)} key(s)", f"{len(held)} clé(s)"), file=sys.stderr)
    return 0


def handle_sync(args: argparse.Namespace) -> int:
    client, store = _client(args), open_keystore()
    done = 0
    try:
        for digest, envelope in store.with_status("assigned"):
            if envelope:
                client.report_assignment(json.loads(envelope))
                store.settle(digest, "reported")
                done += 1
        for status, after, quarantine in (
            ("to_return", "returned", False),
            ("to_quarantine", "quarantined", True),
        ):
            digests = [digest for digest, _ in store.with_status(status)]
            if digests:
                client.release(digests, quarantine=quarantine)
                for digest in digests:
                    store.settle(digest, after)
                done += len(digests)
    except SyncError:
        print(
            tr(
                f"synced {done} key(s) before the error",
                f"{done} clé(s) synchronisée(s) avant l'erreur",
            ),
            file=sys.stderr,
        )
        raise
    finally:
        store.close()
    print(tr(f"synced {done} key(s)", f"{done} clé(s) synchronisée(s)"))
    return 0
