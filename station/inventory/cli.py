"""`station-inventory`: run the server, and let a supervisor decide on benches locally.

    station-inventory serve --db URL --host 127.0.0.1 --port 8080
    station-inventory bench list|approve BENCH_ID|revoke BENCH_ID --db URL
    station-inventory user add NAME --role admin|encadrant|lecture --db URL
    station-inventory user list --db URL

The `bench` commands work on the database directly (whoever can read it is trusted
already), so they need no admin token.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from station.classroom import netboot
from station.classroom.control import SessionControl
from station.classroom.pxe import PxeSettings
from station.classroom.session import ClassroomServer
from station.devices.dnsmasq import Dnsmasq
from station.devices.udpcast import DEFAULT_PORTBASE, SenderSettings
from station.errors import StationError, UsageError
from station.inventory import benches, users
from station.inventory.database import Database
from station.inventory.problems import Problem
from station.inventory.schema import migrate
from station.inventory.settings import DB_ENV, TOKEN_ENV, Settings
from station.inventory.users import ROLES


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
    room = serve.add_argument_group(
        "classroom", "run the classroom engine too: its session is driven from /salle"
    )
    room.add_argument("--classroom-root", type=Path, help="served folder (live/, images/)")
    room.add_argument("--classroom-address", help="this server's address on the classroom network")
    room.add_argument("--classroom-interface", help="the classroom network's interface")
    room.add_argument("--classroom-port", type=int, default=8080, help="its HTTP port (8080)")
    room.add_argument(
        "--classroom-subnet",
        help="network boot too: dnsmasq as proxy-DHCP + TFTP on this network (192.168.50.0/24)",
    )
    room.add_argument("--append", default="", help="more kernel parameters for the laptops")
    room.add_argument(
        "--classroom-address-pool",
        default="",
        metavar="FIRST-LAST",
        help="give these addresses (a classroom network with no other DHCP server; needed "
        "for UEFI Secure Boot laptops, docs/classroom.md)",
    )
    room.add_argument("--portbase", type=int, default=DEFAULT_PORTBASE, help="udpcast port")
    room.add_argument("--max-bitrate", help="udp-sender's limit, e.g. 600m")
    bench = sub.add_parser("bench", help="list, approve or revoke bench keys")
    bench.add_argument("action", choices=["list", "approve", "revoke"])
    bench.add_argument("bench_id", nargs="?")
    bench.add_argument("--db", help="database URL (as for serve)")
    user = sub.add_parser("user", help="add or list the people who sign in")
    user.add_argument("action", choices=["add", "list"])
    user.add_argument("username", nargs="?")
    user.add_argument("--role", choices=ROLES, default="lecture")
    user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (scripts)",
    )
    user.add_argument("--db", help="database URL (as for serve)")
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Encore une fois : ") != first:
        raise UsageError("the two passwords differ")
    return first


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[Database]:
    """The database of `--db` (or the environment), migrated, closed afterwards."""
    db = Database(Settings.from_env(database_url=args.db).database_url)
    try:
        migrate(db)
        yield db
    finally:
        db.close()


def _user(args: argparse.Namespace) -> int:
    with _database(args) as db:
        if args.action == "list":
            for found in users.list_users(db):
                print(f"{found.username}\t{found.role}")
            return 0
        if not args.username:
            print("station-inventory: user add needs a USERNAME", file=sys.stderr)
            return 2
        try:
            made = users.add_user(db, args.username, _password(args.password_stdin), args.role)
        except Problem as exc:
            print(f"station-inventory: {exc.detail}", file=sys.stderr)
            return 2
        print(f"user {made.username} ({made.role}) added; sign in at /login")
        return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from station.inventory.app import create_app

    settings = Settings.from_env(database_url=args.db)
    if settings.admin_token is None:
        print(
            f"note: {TOKEN_ENV} is not set; admin calls need an admin's sign-in "
            "(`station-inventory user add NAME --role admin`), or use "
            "`station-inventory bench` to approve benches",
            file=sys.stderr,
        )
    engine = _classroom(args)
    boot = _network_boot(args) if engine is not None and args.classroom_subnet else None
    app = create_app(settings, classroom=engine)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    finally:
        if boot is not None:
            boot.stop()
        if engine is not None:
            engine.cancel()
            engine.server.stop()
    return 0


def _network_boot(args: argparse.Namespace) -> Dnsmasq:
    """dnsmasq (proxy-DHCP + TFTP, or the classroom's own addresses) for the laptops
    that boot from the network."""
    print(f"classroom: network boot on {args.classroom_subnet} (dnsmasq)", file=sys.stderr)
    return netboot.start(args.classroom_root, pxe_settings(args))


def pxe_settings(args: argparse.Namespace) -> PxeSettings:
    """The network boot's settings from `serve`'s --classroom-* options."""
    # Laptops reach this server on the classroom network (serve on that address, or on
    # 0.0.0.0): its address there, our port.
    url = f"http://{args.classroom_address}:{args.port}"
    return PxeSettings(args.classroom_interface, args.classroom_address,
                       args.classroom_port, args.classroom_subnet,
                       extra_append=args.append, inventory_url=url,
                       address_pool=args.classroom_address_pool,
                       portbase=args.portbase)  # fmt: skip


def _classroom(args: argparse.Namespace) -> SessionControl | None:
    """The classroom engine when --classroom-root is given (docs/classroom.md)."""
    if args.classroom_root is None:
        return None
    if not args.classroom_address or not args.classroom_interface:
        raise UsageError("--classroom-root needs --classroom-address and --classroom-interface")
    server = ClassroomServer(args.classroom_root, args.classroom_address, args.classroom_port)
    sender = SenderSettings(args.classroom_interface, args.portbase, max_bitrate=args.max_bitrate)
    print(f"classroom: files and board on {server.start().url}; session at /salle",
          file=sys.stderr)  # fmt: skip
    return SessionControl(server, sender)


def _bench(args: argparse.Namespace) -> int:
    with _database(args) as db:
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {"serve": _serve, "bench": _bench, "user": _user}
        return commands[args.command](args)
    except StationError as exc:
        print(f"station-inventory: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
