"""`station-inventory`: run the server, and let a supervisor decide on benches locally.

    station-inventory serve --db URL --host 127.0.0.1 --port 8080
    station-inventory bench list|approve BENCH_ID|revoke BENCH_ID --db URL

The `bench` commands work on the database directly (whoever can read it is trusted
already), so they need no admin token.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from station.errors import StationError
from station.inventory import benches
from station.inventory.database import Database
from station.inventory.schema import migrate
from station.inventory.settings import DB_ENV, TOKEN_ENV, Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="station-inventory", description="Station's reference inventory server."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument(
        "--db",
        help=f"database URL (sqlite:///PATH or postgresql://...; "
        f"default ${DB_ENV} or sqlite:///station-inventory.db)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="info")
    bench = sub.add_parser("bench", help="list, approve or revoke bench keys")
    bench.add_argument("action", choices=["list", "approve", "revoke"])
    bench.add_argument("bench_id", nargs="?")
    bench.add_argument("--db", help="database URL (as for serve)")
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from station.inventory.app import create_app

    settings = Settings.from_env(database_url=args.db)
    if settings.admin_token is None:
        print(
            f"note: {TOKEN_ENV} is not set; the admin API is disabled "
            "(use `station-inventory bench` to approve benches)",
            file=sys.stderr,
        )
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _bench(args: argparse.Namespace) -> int:
    db = Database(Settings.from_env(database_url=args.db).database_url)
    try:
        migrate(db)
        if args.action == "list":
            for bench in benches.list_benches(db):
                print(f"{bench.bench_id}\t{bench.status}\t{bench.key_id[:16]}…\t{bench.name}")
            return 0
        if not args.bench_id:
            print(f"station-inventory: bench {args.action} needs a BENCH_ID", file=sys.stderr)
            return 2
        status: benches.Status = "approved" if args.action == "approve" else "revoked"
        bench = benches.decide(db, args.bench_id, status)
        print(f"{bench.bench_id}: {bench.status} (key {bench.key_id[:16]}…)")
        return 0
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _serve(args) if args.command == "serve" else _bench(args)
    except StationError as exc:
        print(f"station-inventory: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
