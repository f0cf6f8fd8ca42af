"""`station classroom-join --server URL`: a netbooted laptop joins the classroom session.

The server is --server, else $STATION_INVENTORY_URL, else `station.inventory=URL` on the
kernel command line (the classroom's network boot puts it there). The laptop makes its
bench key in its data folder (in RAM on a network-booted live
system: nothing survives a power-off), asks the inventory to join the open session with
its DMI serial and UUID, waits for the supervisor's approval on the classroom page, then
writes its bench profile (banc.yaml) so every record it signs goes to the inventory at
once. It prints, last, the `--status-url` of the session's board for `station deploy`.
docs/classroom.md, "Laptops without a stick".
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

from station.classroom.pxe import INVENTORY_PARAMETER
from station.cli.lang import tr
from station.devices.hostinfo import dmi_identity
from station.devices.mounts import cmdline_value, read_cmdline
from station.errors import UsageError
from station.journal.keys import KEY_DIR_NAME, load_or_create_bench_key
from station.paths import data_dir
from station.sync.classroom_join import join_and_wait, write_bench_profile
from station.sync.client import URL_ENV, InventoryClient, server_url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "classroom-join",
        help="a netbooted laptop joins the classroom session (supervisor's approval)",
        description="Make this laptop's bench key, ask the inventory to join the open "
        "classroom session with the machine's DMI serial and UUID, wait for the "
        "supervisor's approval, and write the bench profile that pushes every record "
        "at once. See docs/classroom.md.",
    )
    parser.add_argument(
        "--server", metavar="URL", help=f"inventory server URL (default: ${URL_ENV})"
    )
    parser.add_argument(
        "--wait", type=float, default=1800.0, help="seconds to wait for the approval"
    )
    parser.add_argument(
        "--proc-root", type=Path, default=Path("/proc"),
        help="where to read the kernel command line (tests)",
    )  # fmt: skip
    parser.add_argument(
        "--sys-root", type=Path, default=Path("/sys"),
        help="where to read the DMI identity (tests: a copy of /sys/class/dmi/id)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def boot_inventory_url(proc_root: Path) -> str | None:
    """The inventory server named on the kernel command line by the classroom's network
    boot (boot.ipxe: `station.inventory=URL`), or None."""
    return cmdline_value(read_cmdline(proc_root), INVENTORY_PARAMETER)


def run(args: argparse.Namespace) -> int:
    url = server_url(args.server) or boot_inventory_url(args.proc_root)
    if url is None:
        raise UsageError(
            f"no inventory server: pass --server URL, set {URL_ENV}, or boot with "
            f"{INVENTORY_PARAMETER}=URL",
            french=f"pas de serveur d'inventaire : donnez --server URL, {URL_ENV}, ou "
            f"{INVENTORY_PARAMETER}=URL au démarrage",
        )
    answer = join_session(url, args.sys_root, args.wait)
    if answer.get("status_url"):
        print(answer["status_url"])
    return 0


def join_session(url: str, sys_root: Path, wait_s: float) -> dict[str, Any]:
    """Join the open session at inventory `url`, wait for the approval, write banc.yaml;
    the inventory's answer (image, status_url). Says each step on stderr."""
    folder = data_dir()
    key = load_or_create_bench_key(folder / KEY_DIR_NAME)
    client = InventoryClient(url, key=key.private_key)
    try:
        answer = join_and_wait(
            client, key, dmi_identity(sys_root), socket.gethostname(), wait_s=wait_s,
            say=lambda line: print(line, file=sys.stderr),
        )  # fmt: skip
    finally:
        client.close()
    profile = write_bench_profile(folder, url, answer.get("bench_profile"))
    print(
        tr(f"bench profile: {profile} (every record goes to {url} at once)",
           f"profil du banc : {profile} (chaque enregistrement part aussitôt vers {url})"),
        file=sys.stderr,
    )  # fmt: skip
    return answer
