"""The supervisor drives a classroom session from the back office's /salle page, with real
udpcast receivers in network namespaces (the fixtures of test_classroom_multicast.py).

The inventory server runs the classroom engine inside it, both on the namespace
network's server address. The supervisor signs in and starts « quand 2 portables sont
prêts » for the served image. Laptop 1 boots "from the network": no stick, its data
folder stands for its RAM; `station classroom-join` makes its key, joins with its DMI
identity, waits, and the supervisor approves it on the page; then `station deploy
--multicast` writes its disk, and its signed records reach the inventory as they are
written (no `station sync`). Laptop 2 has a stick (no join). Both disks end with the
master's bytes; the page shows both laptops done, laptop 1 approved, the licence column
filled; closing the session ends laptop 1's approval. (Broke it once: with
`sync_each_record` ignored by Services.journal, laptop 1's records stay in its outbox and
the test fails.)
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.classroom.control import SessionControl
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.imaging.raw_create import create_raw_image
from station.inventory.settings import Settings
from station.journal.keys import KEY_DIR_NAME, load_or_create_bench_key
from station.journal.store import JOURNAL_FILE, Journal
from tests.block import imaging_support
from tests.block.imaging_support import write_profile
from tests.block.net_support import MIB, fill_pattern, make_master, sha256_of
from tests.block.netns_support import ClassroomNet, classroom_net, netns_reason
from tests.conftest import LoopFactory, backing_file
from tests.server.conftest import ADMIN_TOKEN, Api
from tests.server.server_thread import ServerThread
from tests.server.test_classroom_session import netbooted_laptop_joins
from tests.server.web_forms import Browserless

pytestmark = [
    pytest.mark.block,
    pytest.mark.skipif(bool(netns_reason()), reason=str(netns_reason())),
]

loops = imaging_support.loops
MASTER = 64 * MIB
TARGET = 96 * MIB
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def net() -> Iterator[ClassroomNet]:
    with classroom_net(laptops=2) as network:
        yield network


def test_the_supervisor_runs_the_session_from_the_page(
    net: ClassroomNet, loops: LoopFactory, tmp_path: Path
) -> None:
    master = tmp_path / "master.img"
    make_master(master, MASTER)
    root = tmp_path / "srv"
    made = create_raw_image(str(master), root / "images" / "classe")
    targets = [loops(TARGET, name=f"web{i}", direct_io=True) for i in (1, 2)]
    for target in targets:
        fill_pattern(backing_file(target))
    port = 8000 + os.getpid() % 1000
    files = ClassroomServer(root, net.server_ip, port, title="classe").start()
    sender = SenderSettings(
        net.host_if, port + 100, max_wait_s=60, retries_until_drop=8, max_bitrate="40m"
    )
    control = SessionControl(files, sender, poll_s=0.2)
    db_url = f"sqlite:///{tmp_path / 'inventory.db'}"
    settings = Settings(database_url=db_url, admin_token=ADMIN_TOKEN)
    inventory = ServerThread(settings, port + 200, classroom=control, host=net.server_ip)
    inventory.start()
    try:
        api = Api(inventory.url, db_url)
        office = Browserless(api.url, api.sign_in("claire", "encadrant"))
        started = office.post(
            "/salle/seance", {"image": "classe", "laptops": "2", "wait": "120", "mode": "ready"}
        )
        assert started.status_code == 200 and control.running, started.text
        profile = write_profile(
            tmp_path, tmp_path, made.manifest, name="classe",
            location=f"{files.url}images/classe/", post_deploy={"move_backup_gpt": False},
        )  # fmt: skip

        # Laptop 1: no stick. Its identity, key and bench profile come from the server.
        ram = tmp_path / "pc1-ram"
        env1 = {**os.environ, "STATION_DATA_DIR": str(ram), "STATION_LANG": "fr"}
        bench_id, out, _err = netbooted_laptop_joins(
            office, api.url, tmp_path, env1, "PF-NETBOOT-1", net.run_in(1)
        )
        status_url = out.strip()
        assert status_url == files.url

        laptops: dict[int, subprocess.Popen[bytes]] = {}
        env2 = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "pc2-stick")}
        for index, env in ((1, env1), (2, env2)):
            argv = [
                *net.run_in(index), sys.executable, "-m", "station", "deploy",
                targets[index - 1], "--image", str(profile), "--yes",
                "--asset-tag", f"EPN-000{index}", "--multicast", "eth0",
                "--portbase", str(port + 100), "--start-timeout", "60",
                "--status-url", status_url,
            ]  # fmt: skip
            log = (tmp_path / f"pc{index}.log").open("wb")
            laptops[index] = subprocess.Popen(argv, env=env, cwd=REPO, stdout=log, stderr=log)
        codes = {index: process.wait(timeout=300) for index, process in laptops.items()}
        logs = {i: (tmp_path / f"pc{i}.log").read_text(errors="replace")[-2000:] for i in laptops}
        assert codes == {1: 0, 2: 0}, logs
        assert control.wait(120)
        assert control.view()["session"]["phase"] == "finished"
        assert control.view()["session"]["streaming_to"] == 2

        want = sha256_of(master, MASTER)
        for target in targets:
            assert sha256_of(backing_file(target), MASTER) == want
        page = office.page("/salle")
        row = page[page.index(f'id="laptop-{bench_id}"') :]
        row = row[: row.index("</tr>")]
        assert "approuvé pour la séance" in row and "terminé" in row and "aucune" in row, row
        assert 'id="laptop-EPN-0002"' in page  # the laptop with a stick, on the board only

        # Laptop 1's records are at the inventory already: nothing waits in its RAM.
        key = load_or_create_bench_key(ram / KEY_DIR_NAME)
        with Journal(ram / JOURNAL_FILE, key) as journal:
            assert journal.count() > 0 and journal.pending_count() == 0
        chain = api.chain(bench_id)
        kinds = [envelope_kind(e) for e in chain]
        assert "image_deploy" in kinds, kinds

        closed = office.post("/salle/seance/fin", {})
        assert "Approbations expirées : 1." in closed.text
    finally:
        control.cancel()
        control.wait(30)
        inventory.stop()
        files.stop()


def envelope_kind(envelope: dict[str, object]) -> str:
    body = json.loads(base64.b64decode(str(envelope["payload"])))
    return str(body["kind"])
