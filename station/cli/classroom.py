"""`station classroom prepare|serve`: network boot and one image streamed to a classroom.

prepare: write ROOT/tftp (Debian's iPXE loaders, boot.ipxe) and ROOT/dnsmasq.conf for
the classroom network, check it with `dnsmasq --test`, say which live files are missing.
serve: the same, then run dnsmasq (proxy-DHCP + TFTP), the HTTP server (live system,
images, the supervisor's page at /), and stream the image by multicast once the laptops
joined. docs/classroom.md tells the whole set-up.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from station.classroom import netboot
from station.classroom.conduct import SessionPlan, conduct
from station.classroom.pxe import ClassroomLayout, PxeSettings
from station.classroom.session import ClassroomServer
from station.cli.lang import tr
from station.devices import dnsmasq
from station.devices.udpcast import DEFAULT_PORTBASE, SenderSettings
from station.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "classroom",
        help="network boot and one image streamed to a whole classroom",
        description="Serve the live system by network boot (dnsmasq proxy-DHCP + TFTP, iPXE, "
        "HTTP) and stream one image to many laptops (udpcast). See docs/classroom.md.",
    )
    parser.add_argument("action", choices=["prepare", "serve"])
    parser.add_argument("--root", type=Path, required=True, help="served folder (live/, images/)")
    parser.add_argument("--interface", required=True, help="the classroom network's interface")
    parser.add_argument("--address", required=True, help="this server's address on it")
    parser.add_argument(
        "--subnet", required=True, help="the classroom network, e.g. 192.168.50.0/24"
    )
    parser.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080)")
    parser.add_argument("--image", help="serve: the image folder's name under ROOT/images/")
    parser.add_argument("--laptops", type=int, default=1, help="serve: laptops to wait for")
    parser.add_argument(
        "--expect",
        type=int,
        default=0,
        help="serve: stay up until this many laptops finished (late ones take HTTP)",
    )
    parser.add_argument(
        "--start-now", action="store_true", help="serve: stream at once, without waiting"
    )
    parser.add_argument(
        "--join-wait", type=float, default=600.0, help="serve: seconds to wait for the laptops"
    )
    parser.add_argument(
        "--append", default="", help="more kernel parameters for the laptops (e.g. nomodeset)"
    )
    parser.add_argument(
        "--address-pool",
        default="",
        help="FIRST-LAST: give these addresses (a classroom network with no other DHCP "
        "server; needed for UEFI Secure Boot laptops, docs/classroom.md)",
    )
    parser.add_argument("--no-pxe", action="store_true", help="serve: no dnsmasq (boot sticks)")
    parser.add_argument("--portbase", type=int, default=DEFAULT_PORTBASE, help="udpcast port")
    parser.add_argument("--max-bitrate", help="udp-sender's limit, e.g. 600m")
    parser.add_argument(
        "--retries-until-drop",
        type=int,
        default=SenderSettings.retries_until_drop,
        help="udp-sender: retries (about a second each) before a silent laptop is dropped",
    )
    parser.set_defaults(func=run)


def _layout(args: argparse.Namespace) -> tuple[ClassroomLayout, Path]:
    settings = PxeSettings(
        args.interface,
        args.address,
        args.port,
        args.subnet,
        extra_append=args.append,
        address_pool=args.address_pool,
        image=args.image or "",
        portbase=args.portbase,
    )
    return netboot.prepare(args.root, settings, need_dnsmasq=not args.no_pxe)


def run(args: argparse.Namespace) -> int:
    layout, conf = _layout(args)
    missing = layout.missing_live_files()
    print(
        tr(f"network boot: wrote {conf} and {layout.tftp}/",
           f"démarrage réseau : {conf} et {layout.tftp}/ écrits"),
        file=sys.stderr,
    )  # fmt: skip
    if missing:
        print(
            tr(f"warning: {', '.join(missing)} missing from {layout.live}/ (copy the live/ "
               "folder of the Station ISO)",
               f"attention : {', '.join(missing)} manque(nt) dans {layout.live}/ (copiez le "
               "dossier live/ de l'ISO Station)"),
            file=sys.stderr,
        )  # fmt: skip
    if args.action == "prepare":
        return 0
    if not args.image:
        raise UsageError(
            tr("serve: give --image (a folder of ROOT/images/)",
               "serve : donnez --image (un dossier de ROOT/images/)")
        )  # fmt: skip
    image = layout.root / "images" / args.image
    if not args.no_pxe and not (layout.root / "images" / f"{args.image}.yaml").is_file():
        # A network-booted laptop learns what to write from this file (classroom-laptop).
        print(
            tr(f"warning: images/{args.image}.yaml missing: laptops booted from the network "
               "will not know the image's profile",
               f"attention : images/{args.image}.yaml manque : les portables démarrés par "
               "le réseau ne sauront pas quel profil d'image écrire"),
            file=sys.stderr,
        )  # fmt: skip
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    dhcp: dnsmasq.Dnsmasq | None = None
    try:
        if not args.no_pxe:
            dhcp = dnsmasq.start(conf, layout.root / "dnsmasq.log")
        with ClassroomServer(layout.root, args.address, args.port, title=args.image) as server:
            print(tr("supervisor's page: ", "page du superviseur : ") + server.url, file=sys.stderr)
            plan = SessionPlan(
                image,
                SenderSettings(
                    args.interface,
                    args.portbase,
                    max_bitrate=args.max_bitrate,
                    retries_until_drop=args.retries_until_drop,
                ),
                args.laptops,
                start_now=args.start_now,
                join_wait_s=args.join_wait,
                expected=args.expect,
            )
            counts = conduct(server, plan, say=lambda line: print(line, file=sys.stderr), stop=stop)
    finally:
        if dhcp is not None:
            dhcp.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if counts["failed"] == 0 and not stop.is_set() else 4
