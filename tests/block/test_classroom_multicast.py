"""One master to three laptops by multicast, on a classroom network of namespaces.

The server (host namespace) serves the image over HTTP and streams it with Debian's
udp-sender; each laptop is `station deploy --multicast eth0` run inside its own network
namespace, writing to its own loop device. Laptop 1 is there from the start; laptop 2's
switch port goes down for a few seconds mid-stream (the sender drops it, it takes the
rest over HTTP ranges); laptop 3 arrives after the stream started (it finds no session
and takes everything over HTTP). Every disk must end with the master's bytes, every
laptop's report and signed record must say how its frames came, and the supervisor's
board must show the three of them done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from station.classroom.conduct import SessionPlan, conduct
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.imaging import frame_list
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import create_raw_image
from station.journal.keys import KEY_DIR_NAME, load_or_create_bench_key
from station.journal.store import JOURNAL_FILE, Journal
from tests.block import imaging_support
from tests.block.imaging_support import all_time, write_profile
from tests.block.net_support import MIB, fill_pattern, make_master, sha256_of
from tests.block.netns_support import ClassroomNet, classroom_net, netns_reason
from tests.conftest import LoopFactory, backing_file

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
    with classroom_net(laptops=3) as network:
        yield network


def wait_for(what: str, check: Callable[[], bool], limit: float = 120.0) -> None:
    """Poll until `check()`; fail naming `what` after `limit` seconds (not a timing
    assertion: a generous bound so a hung stream fails instead of blocking the suite)."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


def frames_of(server: ClassroomServer, laptop: str) -> int:
    row: dict[str, Any] = next((r for r in server.board.snapshot() if r["laptop"] == laptop), {})
    return int(row.get("frames_verified", 0))


def test_three_laptops_one_stream_late_and_cut(
    net: ClassroomNet, loops: LoopFactory, tmp_path: Path
) -> None:
    master = tmp_path / "master.img"
    make_master(master, MASTER)
    root = tmp_path / "srv"
    made = create_raw_image(str(master), root / "images" / "classe")
    targets = [loops(TARGET, name=f"pc{i}", direct_io=True) for i in (1, 2, 3)]
    for target in targets:
        fill_pattern(backing_file(target))
    port = 8000 + os.getpid() % 1000
    with ClassroomServer(root, net.server_ip, port, title="classe") as server:
        profile = write_profile(
            tmp_path,
            tmp_path,
            made.manifest,
            name="classe",
            location=f"{server.url}images/classe/",
            post_deploy={"move_backup_gpt": False},
        )
        laptops: dict[int, subprocess.Popen[bytes]] = {}

        def start_laptop(index: int, start_timeout: int) -> None:
            env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / f"pc{index}-data")}
            argv = [
                *net.run_in(index), sys.executable, "-m", "station", "deploy",
                targets[index - 1], "--image", str(profile), "--yes",
                "--asset-tag", f"PC-{index}", "--multicast", "eth0",
                "--portbase", str(port + 100), "--start-timeout", str(start_timeout),
                "--status-url", server.url, "--json", str(tmp_path / f"pc{index}.json"),
            ]  # fmt: skip
            log = (tmp_path / f"pc{index}.log").open("wb")
            laptops[index] = subprocess.Popen(argv, env=env, cwd=REPO, stdout=log, stderr=log)

        start_laptop(1, 60)
        start_laptop(2, 60)
        # The supervisor's session: waits for 2 laptops, then streams to them.
        plan = SessionPlan(
            root / "images" / "classe",
            SenderSettings(
                net.host_if, port + 100, max_wait_s=60, retries_until_drop=8, max_bitrate="40m"
            ),
            laptops=2,
        )
        said: list[str] = []
        outcome: dict[str, int] = {}
        session = threading.Thread(
            target=lambda: outcome.update(conduct(server, plan, say=said.append, poll_s=0.2))
        )
        session.start()
        wait_for("laptop 2 receiving", lambda: frames_of(server, "PC-2") >= 1)
        # Laptop 3 arrives once the stream runs; laptop 2's cable is pulled for a while.
        start_laptop(3, 5)
        net.cut(2, down=True)
        time.sleep(6)
        net.cut(2, down=False)
        codes = {index: process.wait(timeout=300) for index, process in laptops.items()}
        session.join(timeout=120)
        board = {row["laptop"]: row for row in server.board.snapshot()}

    assert "envoi de l'image à 2 portable(s) par multicast" in said, said
    assert outcome["done"] == 3 and outcome["failed"] == 0, outcome
    logs = {i: (tmp_path / f"pc{i}.log").read_text(errors="replace")[-2000:] for i in laptops}
    assert codes == {1: 0, 2: 0, 3: 0}, logs
    want = sha256_of(master, MASTER)
    for target in targets:
        assert sha256_of(backing_file(target), MASTER) == want
    frames = frame_list.load(root / "images" / "classe" / FRAMES_FILE)
    reports = {i: json.loads((tmp_path / f"pc{i}.json").read_text())[0] for i in laptops}
    for index, report in reports.items():
        how = report["transport"]
        assert report["outcome"] == "deployed" and how["kind"] == "multicast"
        assert how["frames_verified"] == how["frames_total"] == 6
        assert board[f"PC-{index}"]["state"] == "done", board
    over_http = {
        i: http_frames(r["transport"]["fallback_ranges"], frames) for i, r in reports.items()
    }
    assert over_http[1] < 6, "laptop 1 got nothing by multicast"
    assert 0 < over_http[2] < 6, reports[2]["transport"]  # some by multicast, the rest by HTTP
    assert over_http[3] == 6 and "ended at byte 0" in (reports[3]["transport"]["note"] or "")
    # Each laptop's own journal holds its signed record, transport included.
    for index in laptops:
        data = tmp_path / f"pc{index}-data"
        key = load_or_create_bench_key(data / KEY_DIR_NAME)
        with Journal(data / JOURNAL_FILE, key) as journal:
            bodies = [r.body() for r in journal.records_between(*all_time())]
        [deploy] = [b for b in bodies if b["kind"] == "image_deploy"]
        ranges = reports[index]["transport"]["fallback_ranges"]
        assert deploy["transport"]["fallback_ranges"] == ranges


def http_frames(ranges: list[list[int]], frames: list[frame_list.CheckedFrame]) -> int:
    """How many frames lie inside the HTTP fallback ranges."""
    spans = [(c.frame.packed_offset, c.frame.packed_offset + c.frame.packed_size) for c in frames]
    return sum(1 for a, b in spans if any(s <= a and b <= e for s, e in ranges))
