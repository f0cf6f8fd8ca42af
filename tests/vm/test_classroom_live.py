"""A laptop with no stick boots the Station live system from the classroom server through
its firmware's own PXE, joins the session by itself and receives the image.

The classroom network is the one of test_classroom_vms.py (namespaces: a bridge, the
school's DHCP server, the classroom server running `station classroom serve`). The
laptop is a QEMU VM with SeaBIOS and no `-kernel`: the firmware runs its network card's
PXE ROM (`bootindex=1`), which gets its address from the school's server and its boot
file from the proxy-DHCP; `boot.ipxe` loads the live system's network build (`make
live-netboot`: kernel and initrd over HTTP, live-boot's `fetch=` copying the squashfs
into RAM). Nothing of the test runs inside: the live system's station-classroom.service
reads `station.classroom=` and `station.image=` on its kernel line, fetches the image
profile from the server, chooses the only internal disk that passes Station's checks
and runs `station deploy --multicast`. The host then logs in on the serial console as
the supervisor, reads tty1 and exports the laptop's signed journal, powers it off and
checks the disk file against the master.

Skips, saying why, without the network-boot build (`make live-netboot`, in
$STATION_NETBOOT_DIR, default /var/tmp/station-live-netboot).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import MIB, Drive, qemu_missing_reason

from station.classroom.pxe import LIVE_FILES
from station.imaging.raw_create import create_raw_image
from station.journal.chain import decode_payload
from tests.block.imaging_support import write_profile
from tests.block.net_support import make_master, sha256_of
from tests.vm.classroom_net import NETBOOT_MARKS, BoardWatch, bridged_classroom, school_dhcp

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "live"))
from livevm import LiveNetbootVM  # noqa: E402

NETBOOT_DIR = Path(os.environ.get("STATION_NETBOOT_DIR", "/var/tmp/station-live-netboot"))
SUBNET = f"10.235.{os.getpid() % 250}"
SERVER = f"{SUBNET}.1"
PORT = 8080
TAG = f"stl{os.getpid() % 100000}"
MASTER = 64 * MIB
DISK = Drive("disk", "virtio", "STN-LIVE-DISK", size=256 * MIB)
MAC = "52:54:00:5a:7d:21"
LABEL = "PC-LIVE-1"  # the serial number on the laptop's label (SMBIOS)
PASSWORD = os.environ.get("STATION_SUPERVISOR_PASSWORD", "formateur")


def netboot_reason() -> str | None:
    if os.geteuid() != 0:
        return "the classroom tier needs root (namespaces, taps)"
    missing = [name for name in LIVE_FILES if not (NETBOOT_DIR / "live" / name).is_file()]
    if missing:
        return (
            f"no network-boot live build in {NETBOOT_DIR}/live ({', '.join(missing)} "
            "missing): build it with `make live-netboot`"
        )
    return qemu_missing_reason()


pytestmark = [
    *NETBOOT_MARKS,
    pytest.mark.skipif(bool(netboot_reason()), reason=str(netboot_reason())),
]


@pytest.fixture
def classroom_net() -> Iterator[dict[str, str]]:
    with bridged_classroom(TAG, SUBNET, ["tap1"]) as names:
        yield names


def served_folder(tmp_path: Path) -> tuple[Path, Path]:
    """ROOT with the network build's live/ and one image with its profile beside it
    (ROOT/images/classe.yaml, location relative: the laptop completes it); (ROOT, master)."""
    root = tmp_path / "srv"
    (root / "live").mkdir(parents=True)
    for name in LIVE_FILES:
        (root / "live" / name).symlink_to(NETBOOT_DIR / "live" / name)
    master = tmp_path / "master.img"
    make_master(master, MASTER)
    made = create_raw_image(str(master), root / "images" / "classe")
    write_profile(
        root / "images", Path("classe"), made.manifest, name="classe",
        post_deploy={"move_backup_gpt": False},
    )  # fmt: skip
    return root, master


def test_live_laptop_boots_by_firmware_pxe_and_images_its_disk(
    classroom_net: dict[str, str], tmp_path: Path
) -> None:
    root, master = served_folder(tmp_path)
    school = school_dhcp(classroom_net["school"], SUBNET, tmp_path / "school.log")
    serve_log = tmp_path / "serve.log"
    # --expect 2 keeps the server up once the laptop is done (the board is read after).
    serve = subprocess.Popen(
        ["ip", "netns", "exec", classroom_net["srv"], sys.executable, "-m", "station",
         "classroom", "serve", "--root", str(root), "--interface", "eth0",
         "--address", SERVER, "--subnet", f"{SUBNET}.0/24", "--port", str(PORT),
         "--image", "classe", "--laptops", "1", "--expect", "2", "--max-bitrate", "50m",
         "--append", "console=ttyS0,115200n8"],
        cwd=REPO, stdout=serve_log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    board = BoardWatch(classroom_net["srv"], f"http://{SERVER}:{PORT}/")
    board.thread.start()
    vm = LiveNetbootVM(
        rootfs=None,  # type: ignore[arg-type]  # boots from the network, not a built rootfs
        workdir=tmp_path / "pc1",
        drives=(DISK,),
        memory_mib=2048,  # fetch= copies the ~350 MiB squashfs into RAM
        cpus=2,
        timeout_s=1500,
        netns=classroom_net["sw"],
        tap="tap1",
        mac=MAC,
        firmware_pxe=True,
        smbios_serial=LABEL,
    )
    try:
        vm.power_on()
        console = vm.console
        assert console is not None
        ended = console.wait_for(r"@@STATION-CLASSROOM end rc=(\d+)", 1200)
        booted_s = vm.seconds()
        console.login("root", PASSWORD)
        screen = vm.screen()
        _, cmdline = console.run("cat /proc/cmdline")
        _, env = console.run("cat /run/station/env")
        rc, exported = console.run(
            "station journal export /tmp/chain.jsonl >/dev/null && cat /tmp/chain.jsonl"
        )
        _, public_key = console.run("station journal key")
        vm.shutdown()
        board.stop.set()
        board.thread.join(timeout=30)
        board.poll_once()
    finally:
        board.stop.set()
        vm.stop()
        for process in (serve, school):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
    print(f"live laptop: session ended {booted_s:.0f} s after power-on")
    assert ended.group(1) == "0", vm.console_tail(80)
    # Booted from the network with no stick: the squashfs came by fetch= into RAM.
    assert f"fetch=http://{SERVER}:{PORT}/live/filesystem.squashfs" in cmdline, cmdline
    assert "STATION_DATA_VOLATILE=1" in env, env
    # The firmware's PXE asked: the proxy gave the card's iPXE boot.ipxe (dnsmasq's log).
    proxy = (root / "dnsmasq.log").read_text()
    assert "bootfile name: boot.ipxe" in proxy, proxy[-3000:]
    assert "DHCPACK(eth0)" in (tmp_path / "school.log").read_text()
    # tty1 said what happened, in French.
    assert "Terminé : l'image est écrite et vérifiée" in screen, screen
    # The disk, read on the host after power-off, holds the master's bytes.
    assert sha256_of(vm.images["disk"], MASTER) == sha256_of(master, MASTER)
    # The board named the laptop by its label and followed it to the end.
    states = board.seen.get(LABEL, [])
    assert states and states[-1] == "done" and {"joined", "receiving"} & set(states), board.seen
    # Its signed journal, checked on the host against its own key.
    assert rc == 0, exported
    chain, key = tmp_path / "chain.jsonl", tmp_path / "laptop.pub.pem"
    chain.write_text(exported.strip() + "\n")
    key.write_text(public_key.strip() + "\n")
    verified = subprocess.run(
        [sys.executable, "-m", "station", "verify", str(chain), "--key", str(key)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    bodies = [decode_payload(json.loads(line)) for line in exported.strip().splitlines()]
    [record] = [b for b in bodies if b["kind"] == "image_deploy"]
    assert record["transport"]["kind"] == "multicast", record["transport"]
