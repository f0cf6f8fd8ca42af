"""A laptop with no stick boots the Station live system from the workshop's inventory
server, joins the supervisor's session there, is approved on the back office's page, and
its signed records reach the inventory as they are written.

The classroom network is the one of test_classroom_live.py (a bridge, the school's DHCP
server in its namespace), with the server side in the host's own namespace: the real
`station-inventory serve` (SQLite) runs there with the classroom engine inside it
(`--classroom-root`, `--classroom-subnet`: dnsmasq as proxy-DHCP + TFTP, the served files,
the board, the stream), as docs/classroom.md tells a workshop to start it. The test is
the supervisor: `station-inventory user add` makes their account, they sign in through
the login form and start « quand 1 portable est prêt » on /salle. The laptop (QEMU,
SeaBIOS running its card's PXE ROM) gets `boot.ipxe`, whose kernel line names the
inventory (`station.inventory=URL`); its station-classroom.service joins the session
with a key made in RAM and waits; the supervisor approves it on /salle when its serial
(`PC-1`, its SMBIOS label) shows there; it images its disk from the stream. Then, on the
server: the laptop's chain exported by the inventory passes `station verify` with the
key the inventory holds and is the laptop's whole journal (nothing waits in its RAM),
its `image_deploy` record says multicast with every frame verified, the page showed it
approved and done, the lot the supervisor attaches it to says « installée
(multicast) », the machine's page how the image came; closing the session ends its
approval. After power-off the disk holds the master's bytes.

Skips, saying why, without the network-boot build (`make live-netboot`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from station.imaging import frame_list
from station.imaging.frame_list import FRAMES_FILE
from tests.block.net_support import sha256_of
from tests.server.pg_cluster import free_port
from tests.server.web_forms import Browserless
from tests.vm.classroom_live_support import (
    MASTER,
    REPO,
    LiveNetbootVM,
    live_laptop,
    netboot_reason,
    served_folder,
    session_seen,
    stop_all,
    verified_chain,
    verified_records,
    wait_for_log,
)
from tests.vm.classroom_net import NETBOOT_MARKS, bridged_classroom, http_frames, school_dhcp

SUBNET = f"10.236.{os.getpid() % 250}"
SERVER = f"{SUBNET}.1"
TAG = f"sti{os.getpid() % 100000}"
SUPERVISOR = ("claire", "mot de passe de l'encadrante")
LOT = "SALLE-2026-12"
INVENTORY = [sys.executable, "-m", "station.inventory.cli"]

pytestmark = [
    *NETBOOT_MARKS,
    pytest.mark.skipif(bool(netboot_reason()), reason=str(netboot_reason())),
]


@pytest.fixture
def classroom_net() -> Iterator[dict[str, str]]:
    with bridged_classroom(TAG, SUBNET, ["tap1"], server_on_host=True) as names:
        yield names


def inventory_serve(
    root: Path, db: str, interface: str, web: int, files: int, log: Path
) -> subprocess.Popen[bytes]:
    """`station-inventory serve` with the classroom engine and network boot, on the
    classroom address; answering once its health check does."""
    server = subprocess.Popen(
        [*INVENTORY, "serve", "--db", db, "--host", SERVER, "--port", str(web),
         "--classroom-root", str(root), "--classroom-address", SERVER,
         "--classroom-interface", interface, "--classroom-port", str(files),
         "--classroom-subnet", f"{SUBNET}.0/24", "--portbase", str(free_port()),
         "--max-bitrate", "50m", "--append", "console=ttyS0,115200n8"],
        cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"http://{SERVER}:{web}/v1/health", timeout=5).ok:
                return server
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.terminate()
            pytest.fail(f"station-inventory serve did not start: {log.read_text()[-3000:]}")
        time.sleep(0.5)


def supervisor_signs_in(db: str, url: str) -> Browserless:
    """The supervisor's account made with `station-inventory user add`, then signed in
    through the login form, as in a browser."""
    username, password = SUPERVISOR
    added = subprocess.run(
        [*INVENTORY, "user", "add", username, "--role", "encadrant", "--password-stdin",
         "--db", db],
        input=password + "\n", capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    session = requests.Session()
    answer = session.post(
        url + "/login",
        data={"username": username, "password": password, "next": "/salle"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 303, answer.text
    return Browserless(url, session)


def approve_when_it_shows(office: Browserless, serial: str, vm: LiveNetbootVM) -> str:
    """Wait until the laptop's serial shows on /salle (it joined and waits), then approve
    it as the supervisor does; its bench id."""
    deadline = time.monotonic() + 900
    while True:
        page = office.page("/salle")
        if serial in page:
            found = re.search(r"/salle/portables/(bench-[0-9a-f]+)/decision", page)
            assert found, page
            break
        if time.monotonic() > deadline or vm._exited():
            pytest.fail(f"{serial} never asked to join the session; {vm.console_tail(40)}")
        time.sleep(1)
    bench_id = found.group(1)
    decided = office.post(f"/salle/portables/{bench_id}/decision", {"decision": "approve"})
    assert decided.status_code == 200, decided.text[:2000]
    return bench_id


def laptop_row(page: str, bench_id: str) -> str:
    row = page[page.index(f'id="laptop-{bench_id}"') :]
    return row[: row.index("</tr>")]


def server_chain(office: Browserless, bench_id: str, folder: Path) -> list[dict[str, Any]]:
    """The laptop's chain as the inventory holds it, checked offline with `station verify`
    against the key the inventory enrolled; the records' bodies."""
    answer = office.session.get(f"{office.url}/v1/benches/{bench_id}/chain", timeout=30)
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert export["envelopes"], f"no record of {bench_id} reached the inventory"
    lines = "".join(json.dumps(envelope) + "\n" for envelope in export["envelopes"])
    return verified_chain(lines, export["public_key_pem"], folder, "server")


def test_a_netbooted_laptop_joins_the_inventory_session_and_its_records_arrive(
    classroom_net: dict[str, str], tmp_path: Path
) -> None:
    root, master = served_folder(tmp_path)
    school = school_dhcp(classroom_net["school"], SUBNET, tmp_path / "school.log")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    web, files = free_port(), free_port()
    url = f"http://{SERVER}:{web}"
    server = inventory_serve(
        root, db, classroom_net["srv_if"], web, files, tmp_path / "inventory.log"
    )
    vm = live_laptop(classroom_net, tmp_path, 1)
    try:
        office = supervisor_signs_in(db, url)
        started = office.post(
            "/salle/seance", {"image": "classe", "laptops": "1", "wait": "1200", "mode": "ready"}
        )
        assert started.status_code == 200, started.text[:2000]
        vm.power_on()
        wait_for_log(root / "dnsmasq.log", "bootfile name: boot.ipxe", 300, vm)
        bench_id = approve_when_it_shows(office, "PC-1", vm)
        seen = session_seen(vm, 1200)
        page = office.page("/salle")
        on_server = server_chain(office, bench_id, tmp_path)
        # The supervisor puts the laptop in the class's lot and reads it back.
        made = office.post(
            "/lots", {"code": LOT, "donor": "Collège Jean Moulin",
                      "received_on": date.today().isoformat(), "expected_count": "1"},
        )  # fmt: skip
        assert made.status_code == 303, made.text[:2000]
        attached = office.post(f"/lots/{LOT}/machines", {"asset_tags": "PC-1"})
        assert "1 machine(s) rattachée(s)" in attached.text, attached.text[:2000]
        lot_page = office.page(f"/lots/{LOT}")
        machine_page = office.page("/machines/PC-1")
        closed = office.post("/salle/seance/fin", {})
    finally:
        stop_all([vm], [server, school])
    print(f"live laptop with the inventory: session ended {seen.seconds:.0f} s after power-on")
    assert seen.rc == 0, vm.console_tail(80)
    # Booted from the network with no stick, the inventory named on its kernel line.
    assert f"station.inventory={url}" in seen.cmdline, seen.cmdline
    assert "STATION_DATA_VOLATILE=1" in seen.env, seen.env
    assert "Terminé : l'image est écrite et vérifiée" in seen.screen, seen.screen
    assert sha256_of(vm.images["disk"], MASTER) == sha256_of(master, MASTER)
    # The supervisor's page: approved, then done.
    row = laptop_row(page, bench_id)
    assert "approuvé pour la séance" in row and "terminé" in row, row
    # Every record the laptop signed is at the inventory, in its chain, and nothing waits.
    on_laptop = verified_records(seen, tmp_path, "pc1")
    assert on_server == on_laptop, (len(on_server), len(on_laptop))
    assert re.search(r"(pending: 0 of|en attente : 0 sur) \d+", seen.sync_status), seen.sync_status
    [deploy] = [body for body in on_server if body["kind"] == "image_deploy"]
    how = deploy["transport"]
    assert deploy["outcome"] == "deployed" and how["kind"] == "multicast", deploy
    assert how["frames_verified"] == how["frames_total"] > 0, how
    frames = frame_list.load(root / "images" / "classe" / FRAMES_FILE)
    assert http_frames(how["fallback_ranges"], frames) < how["frames_total"], how
    # The lot and the machine say how the laptop was imaged, from that signed record.
    lot_row = lot_page[lot_page.index("PC-1") :]
    lot_row = lot_row[: lot_row.index("</tr>")]
    assert "installée" in lot_row and "(multicast)" in lot_row, lot_row
    assert "flux multicast de la salle" in machine_page, machine_page
    assert "Approbations expirées : 1." in closed.text, closed.text[:2000]
