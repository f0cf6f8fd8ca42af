"""`station classroom-laptop`: a network-booted laptop runs its part of the session.

Run at boot by the live image's station-classroom.service when the kernel command line
has `station.classroom=URL` (boot.ipxe and grub.cfg put it there). In order: wait for the
classroom server; join the inventory's session when `station.inventory=URL` is given
(the supervisor approves the laptop, its records then go to the inventory as they are
signed); fetch the image profile from the server (ROOT/images/IMAGE.yaml); choose the
disk: only when the laptop has exactly one internal disk and it passes Station's safety
checks (else nothing is written, the reason goes on the screen and the board); then
`station deploy DISK --multicast IFACE --status-url URL`, the laptop named on the board
by its DMI serial number (the label the supervisor reads), else its hostname.
docs/classroom.md.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from station.classroom.laptop import (
    SessionBoot,
    choose_disk,
    fetch_image_profile,
    route_interface,
    server_address,
    wait_for_server,
)
from station.cli.classroom_join import join_session
from station.devices.hostinfo import dmi_identity
from station.devices.mounts import read_cmdline
from station.devices.udev import Selection, list_disks
from station.errors import ConfigError, UsageError
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal, default_journal_path
from station.paths import data_dir
from station.sync.classroom_join import records_left_fr
from station.sync.classroom_status import StatusReporter
from station.sync.client import InventoryClient

EXIT_NO_DISK = 5  # as `station deploy` refusing a disk: nothing was written
EXIT_RECORDS_LEFT = 6  # imaged, but signed records did not reach the inventory


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "classroom-laptop",
        help="a network-booted laptop joins the classroom session and receives its image",
        description="Read the session from the kernel command line (station.classroom=, "
        "station.image=, station.inventory=), join it, take the laptop's only internal disk "
        "when it passes the safety checks and receive the image by multicast. Run at boot by the "
        "live system; see docs/classroom.md.",
    )
    parser.add_argument(
        "--wait-network", type=float, default=300.0,
        help="seconds to wait for the classroom server to answer",
    )  # fmt: skip
    parser.add_argument(
        "--wait-approval", type=float, default=1800.0,
        help="seconds to wait for the supervisor's approval (inventory sessions)",
    )  # fmt: skip
    parser.add_argument(
        "--start-timeout", type=int, default=120,
        help="seconds to wait for the stream before taking the image over HTTP",
    )  # fmt: skip
    parser.add_argument(
        "--proc-root", type=Path, default=Path("/proc"), help="kernel command line (tests)"
    )
    parser.add_argument("--sys-root", type=Path, default=Path("/sys"), help="DMI identity (tests)")
    parser.set_defaults(func=run)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def board_name(sys_root: Path) -> str:
    """The laptop's name on the board: its DMI serial number, else the hostname."""
    serial, _uuid = dmi_identity(sys_root)
    name = "".join(c if c.isalnum() or c in "._-" else "-" for c in serial or "")
    return name.strip("-.")[:64] or socket.gethostname()


def run(args: argparse.Namespace) -> int:
    session = SessionBoot.from_cmdline(read_cmdline(args.proc_root))
    if session is None:
        raise UsageError(
            "not booted for a classroom session (no station.classroom= on the kernel command line)",
            french="pas démarré pour une séance de salle (pas de station.classroom= au démarrage)",
        )
    say(f"séance de salle de classe : serveur {session.classroom_url}")
    wait_for_server(session.classroom_url, args.wait_network, say=say)
    status_url, image = session.classroom_url, session.image
    if session.inventory_url:
        answer = join_session(session.inventory_url, args.sys_root, args.wait_approval)
        status_url = str(answer.get("status_url") or status_url)
        image = image or (str(answer["image"]) if answer.get("image") else None)
    if not image:
        raise ConfigError(
            "le serveur ne dit pas quelle image écrire (ni station.image= au démarrage, ni "
            "séance ouverte sur le serveur d'inventaire)"
        )
    profile = fetch_image_profile(session, image, data_dir() / "classroom")
    name = board_name(args.sys_root)
    choice = choose_disk(list_disks(Selection()))
    if choice.path is None:
        reporter = StatusReporter(status_url, name)
        reporter.say("failed", reason=choice.why_fr[:300])
        reporter.close()
        say(choice.why_fr)
        return EXIT_NO_DISK
    iface = route_interface(server_address(session.server_host), args.proc_root)
    if iface is None:
        raise ConfigError(f"aucune interface réseau ne mène au serveur {session.server_host}")
    say(f"{name} : l'image {image} va sur {choice.path} (réception sur {iface})")
    # The deploy itself, as a bench runs it: its own safety checks again, its records.
    from station.cli import build_parser

    deploy_args = build_parser(only="station.cli.deploy").parse_args(
        ["deploy", choice.path, "--image", str(profile), "--yes",
         "--multicast", iface, "--portbase", str(session.portbase),
         "--start-timeout", str(args.start_timeout),
         "--status-url", status_url, "--board-name", name]
    )  # fmt: skip
    code: int = deploy_args.func(deploy_args)
    if code == 0 and session.inventory_url:
        left = records_left(session.inventory_url)
        if left is not None:
            say(left)
            return EXIT_RECORDS_LEFT
    return code


def records_left(inventory_url: str) -> str | None:
    """Why this laptop must not be switched off yet (its records still in its RAM, not at
    the inventory), or None."""
    with Journal(default_journal_path(), load_or_create_bench_key()) as journal:
        client = InventoryClient(inventory_url)
        try:
            return records_left_fr(journal, client)
        finally:
            client.close()
