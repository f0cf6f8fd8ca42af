"""Three QEMU laptops with no stick boot from the classroom server and get one image.

The classroom network is made of namespaces on the host: a bridge (the switch, IGMP
snooping off), the "school" DHCP server (a plain dnsmasq handing out addresses, as the
school's box would) and the classroom server running `station classroom serve`
(dnsmasq as proxy-DHCP + TFTP, the HTTP server with the supervisor's board, udp-sender).
Each laptop is a QEMU VM (TCG, one CPU) whose network card is a tap on the bridge and
whose only disk is a 256 MiB virtio file full of old data. Its iPXE gets an address from
the school, `boot.ipxe` from the proxy, the kernel and initrd over HTTP; the initrd runs
the Station receiver (`station deploy --multicast eth0`, payloads/classroom_laptop.py).

Laptops 1 and 2 boot first; the server streams once both joined. Laptop 3 is started
once laptop 2 receives (it finds no session and takes the image over HTTP ranges);
laptop 2's link goes down for a few seconds mid-stream (QMP `set_link`). The host then
checks every disk file against the master, each laptop's signed journal with
`station verify`, and that the board showed each laptop's progress.

The initrd is the VM tier's (scripts/vm/rootfs.py), not the live system's network-boot
build; test_classroom_live.py does the same classroom with the live system (`make
classroom-test`), this stand-in stays in `make vm-test`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import MIB, Drive, NetbootVM, VMResult
from overlay import build_initrd

from station.imaging import frame_list
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import create_raw_image
from station.journal.chain import decode_payload
from tests.block.imaging_support import write_profile
from tests.block.net_support import make_master, sha256_of
from tests.vm.classroom_net import (
    NETBOOT_MARKS,
    BoardWatch,
    bridged_classroom,
    classroom_serve,
    http_frames,
    school_dhcp,
    served_live_folder,
)
from tests.vm.vm_support import payload

pytestmark = NETBOOT_MARKS

REPO = Path(__file__).resolve().parents[2]
SUBNET = f"10.234.{os.getpid() % 250}"
SERVER = f"{SUBNET}.1"
PORT = 8080
PORTBASE = 9000
TAG = f"stc{os.getpid() % 100000}"
MASTER = 64 * MIB
DISK = Drive("disk", "virtio", "STN-CLASS-DISK", size=256 * MIB)
LAPTOPS = {1: "52:54:00:5a:7c:11", 2: "52:54:00:5a:7c:12", 3: "52:54:00:5a:7c:13"}
CUT_S = 10  # longer than --retries-until-drop 8 (about a second each)
IN_PROGRESS = {"joined", "receiving", "verifying"}


@pytest.fixture
def classroom_net() -> Iterator[dict[str, str]]:
    with bridged_classroom(TAG, SUBNET, [f"tap{index}" for index in LAPTOPS]) as names:
        yield names


def wait_for(what: str, check: Callable[[], bool], limit: float, alive: Callable[[], bool]) -> None:
    """Poll until `check()`; a generous bound so a hung boot fails instead of blocking."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline or not alive():
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.5)


def test_three_laptops_boot_from_the_network_and_get_one_stream(
    classroom_net: dict[str, str], tmp_path: Path
) -> None:
    root, built = served_live_folder(tmp_path)
    master = tmp_path / "master.img"
    make_master(master, MASTER)
    made = create_raw_image(str(master), root / "images" / "classe")
    profile = write_profile(
        tmp_path, tmp_path, made.manifest, name="classe",
        location=f"http://{SERVER}:{PORT}/images/classe/",
        post_deploy={"move_backup_gpt": False},
    )  # fmt: skip
    names = {mac: f"PC-{index}" for index, mac in LAPTOPS.items()}
    settings = {
        "expected_serials": [DISK.serial],
        "roles": {DISK.role: DISK.serial},
        "laptops": names,
        "profile": profile.read_text(),
        "server": f"http://{SERVER}:{PORT}/",
        "portbase": PORTBASE,
        # Laptop 3 comes late: it gives up on the stream quickly and takes HTTP.
        "start_timeouts": {"PC-1": 120, "PC-2": 120, "PC-3": 10},
        "payload_timeout_s": 1200,
    }
    boot_dir = tmp_path / "boot"
    boot_dir.mkdir()
    initrd = build_initrd(built, boot_dir, payload("classroom_laptop.py"), settings)
    (root / "live" / "initrd.img").symlink_to(initrd)

    school = school_dhcp(classroom_net["school"], SUBNET, tmp_path / "school.log")
    serve_log = tmp_path / "serve.log"
    # Streams once 2 joined; --expect one more than the laptops keeps the server up once
    # the three are done, so the board is read after they power off (then stopped, as
    # the supervisor does with Ctrl+C). Without --expect it would end before laptop 3.
    serve = classroom_serve(
        classroom_net["srv"], root, SUBNET, serve_log,
        "--port", str(PORT), "--image", "classe", "--laptops", "2",
        "--expect", str(len(LAPTOPS) + 1), "--portbase", str(PORTBASE),
        "--max-bitrate", "20m", "--retries-until-drop", "8",
        "--append", "console=ttyS0,115200 panic=-1 loglevel=4",
    )  # fmt: skip
    board = BoardWatch(classroom_net["srv"], f"http://{SERVER}:{PORT}/")
    board.thread.start()
    vms = {
        index: NetbootVM(
            built,
            tmp_path / f"pc{index}",
            drives=(DISK,),
            memory_mib=1280,
            cpus=1,
            timeout_s=1200,
            netns=classroom_net["sw"],
            tap=f"tap{index}",
            mac=mac,
        )
        for index, mac in LAPTOPS.items()
    }
    results: dict[int, VMResult] = {}
    try:
        vms[1].boot_netboot()
        vms[2].boot_netboot()
        alive = lambda: serve.poll() is None and not vms[2]._exited()  # noqa: E731
        wait_for("laptop 2 receiving", lambda: board.frames("PC-2") >= 1, 900, alive)
        vms[3].boot_netboot()  # the late laptop
        with vms[2].qmp() as qmp:  # laptop 2's cable pulled for a while
            qmp.execute("set_link", name="nic0", up=False)
            time.sleep(CUT_S)
            qmp.execute("set_link", name="nic0", up=True)
        results = {index: vm.wait() for index, vm in vms.items()}
        board.stop.set()
        board.thread.join(timeout=30)
        board.poll_once()  # the board once every laptop powered off
    finally:
        board.stop.set()
        for vm in vms.values():
            vm.stop()
        for process in (serve, school):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    payloads: dict[int, dict[str, Any]] = {}
    for index, run in results.items():
        assert run.result is not None and "agent_error" not in run.result, run.describe()
        got = run.result.get("payload")
        assert isinstance(got, dict) and got.get("laptop") == f"PC-{index}", run.describe()
        payloads[index] = got
    for index, got in payloads.items():
        deploy = got.get("deploy") or {}
        assert deploy.get("rc") == 0, f"PC-{index}: {deploy}"
    # Every disk, read on the host after power-off, holds the master's bytes.
    want = sha256_of(master, MASTER)
    for index, vm in vms.items():
        assert sha256_of(vm.images["disk"], MASTER) == want, f"PC-{index}'s disk differs"
    frames = frame_list.load(root / "images" / "classe" / FRAMES_FILE)
    reports = {i: got["deploy"]["report"][0] for i, got in payloads.items()}
    over_http = {}
    sent = reports[1]["transport"]["frames_total"]  # the frames with data (holes are not)
    assert 0 < sent <= len(frames)
    for index, report in reports.items():
        how = report["transport"]
        assert report["outcome"] == "deployed" and how["kind"] == "multicast", report
        assert how["frames_verified"] == how["frames_total"] == sent, how
        over_http[index] = http_frames(how["fallback_ranges"], frames)
    assert over_http[1] < sent, "laptop 1 got nothing by multicast"
    # Cut: dropped by the sender, it took the rest over HTTP ranges from where it was.
    assert 0 < over_http[2] < sent, reports[2]["transport"]
    assert over_http[3] == sent, reports[3]["transport"]  # late: all by HTTP
    # Each laptop's signed journal, checked on the host against the laptop's own key.
    for index, got in payloads.items():
        records = got["records"]
        chain, key = tmp_path / f"pc{index}-chain.jsonl", tmp_path / f"pc{index}.pub.pem"
        chain.write_text(records["chain"])
        key.write_text(records["key"])
        verified = subprocess.run(
            [sys.executable, "-m", "station", "verify", str(chain), "--key", str(key)],
            cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert verified.returncode == 0, verified.stdout + verified.stderr
        bodies = [decode_payload(json.loads(line)) for line in records["chain"].splitlines()]
        [record] = [b for b in bodies if b["kind"] == "image_deploy"]
        assert (
            record["transport"]["fallback_ranges"] == reports[index]["transport"]["fallback_ranges"]
        )
    # The supervisor's board followed each laptop from joining to done.
    for index in LAPTOPS:
        states = board.seen.get(f"PC-{index}", [])
        assert states and states[-1] == "done" and IN_PROGRESS & set(states), board.seen
        assert f"PC-{index}" in board.page, board.page
    assert "terminé" in board.page, board.page
    # No stick: the proxy gave each iPXE boot.ipxe, the school's server the addresses.
    proxy = (root / "dnsmasq.log").read_text()
    assert (
        "bootfile name: boot.ipxe" in proxy
        and "DHCPACK(eth0)" in (tmp_path / "school.log").read_text()
    )
