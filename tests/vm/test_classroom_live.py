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

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.imaging import frame_list
from station.imaging.frame_list import FRAMES_FILE
from tests.block.net_support import sha256_of
from tests.vm.classroom_live_support import (
    LAPTOPS,
    MASTER,
    Seen,
    live_laptop,
    netboot_reason,
    ovmf_missing_reason,
    served_folder,
    session_seen,
    stop_all,
    verified_records,
    wait_for_log,
    wait_until,
)
from tests.vm.classroom_net import (
    NETBOOT_MARKS,
    BoardWatch,
    bridged_classroom,
    classroom_serve,
    http_frames,
    school_dhcp,
)

SUBNET = f"10.235.{os.getpid() % 250}"
SERVER = f"{SUBNET}.1"
PORT = 8080
TAG = f"stl{os.getpid() % 100000}"
CUT_S = 10  # longer than --retries-until-drop 8 (about a second each)


pytestmark = [
    *NETBOOT_MARKS,
    pytest.mark.skipif(bool(netboot_reason()), reason=str(netboot_reason())),
]


@pytest.fixture
def classroom_net() -> Iterator[dict[str, str]]:
    with bridged_classroom(TAG, SUBNET, [f"tap{index}" for index in LAPTOPS]) as names:
        yield names


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_live_laptop_boots_by_firmware_pxe_and_images_its_disk(
    classroom_net: dict[str, str], tmp_path: Path, firmware: str
) -> None:
    if firmware == "uefi" and ovmf_missing_reason():
        pytest.skip(str(ovmf_missing_reason()))
    root, master = served_folder(tmp_path)
    # BIOS: the school's DHCP server gives the address, the classroom server is a proxy.
    # UEFI: Debian's signed network GRUB needs the classroom server to give the address
    # (docs/classroom.md, "UEFI and Secure Boot"); the school's server stays off.
    school = school_dhcp(classroom_net["school"], SUBNET, tmp_path / "school.log")
    own_pool = ["--address-pool", f"{SUBNET}.100-{SUBNET}.150"] if firmware == "uefi" else []
    if firmware == "uefi":
        school.terminate()
        school.wait(timeout=30)
    # --expect 2 keeps the server up once the laptop is done (the board is read after).
    serve = classroom_serve(
        classroom_net["srv"], root, SUBNET, tmp_path / "serve.log",
        "--port", str(PORT), "--image", "classe", "--laptops", "1", "--expect", "2",
        "--max-bitrate", "50m", "--append", "console=ttyS0,115200n8", *own_pool,
    )  # fmt: skip
    board = BoardWatch(classroom_net["srv"], f"http://{SERVER}:{PORT}/")
    board.thread.start()
    vm = live_laptop(classroom_net, tmp_path, 1, firmware=firmware)
    try:
        vm.power_on()
        # The firmware's PXE must reach the server within minutes, or the test says so.
        first_loader = "bootfile name: boot.ipxe" if firmware == "bios" else "sent"
        wait_for_log(root / "dnsmasq.log", first_loader, 300, vm)
        seen = session_seen(vm, 1200)
        board.stop.set()
        board.thread.join(timeout=30)
        board.poll_once()
    finally:
        board.stop.set()
        stop_all([vm], [serve, school])
    print(f"live laptop ({firmware}): session ended {seen.seconds:.0f} s after power-on")
    assert seen.rc == 0, vm.console_tail(80)
    # Booted from the network with no stick: the squashfs came by fetch= into RAM.
    assert f"fetch=http://{SERVER}:{PORT}/live/filesystem.squashfs" in seen.cmdline
    assert "STATION_DATA_VOLATILE=1" in seen.env, seen.env
    proxy = (root / "dnsmasq.log").read_text()
    if firmware == "bios":
        # The firmware ran the card's PXE ROM (QEMU's is an iPXE build, which says who it
        # is: the proxy gave it boot.ipxe at once, not undionly.kpxe first).
        assert "bootfile name: boot.ipxe" in proxy, proxy[-3000:]
        assert "DHCPACK(eth0)" in (tmp_path / "school.log").read_text()
    else:
        # OVMF's PXE got shim, shim the signed GRUB, GRUB grub.cfg, the kernel, the initrd.
        for sent in ("shimx64.efi", "grubx64.efi", "grub/grub.cfg", "live/vmlinuz"):
            assert f"sent {root / 'tftp' / sent}" in proxy, proxy[-3000:]
        assert "Secure boot enabled" in seen.secure_boot, seen.secure_boot
    # tty1 said what happened, in French.
    assert "Terminé : l'image est écrite et vérifiée" in seen.screen, seen.screen
    # The disk, read on the host after power-off, holds the master's bytes.
    assert sha256_of(vm.images["disk"], MASTER) == sha256_of(master, MASTER)
    # The board named the laptop by its label and followed it to the end.
    states = board.seen.get("PC-1", [])
    assert states and states[-1] == "done" and {"joined", "receiving"} & set(states), board.seen
    [record] = [b for b in verified_records(seen, tmp_path, "pc1") if b["kind"] == "image_deploy"]
    assert record["transport"]["kind"] == "multicast", record["transport"]


def test_three_live_laptops_get_one_stream(classroom_net: dict[str, str], tmp_path: Path) -> None:
    """The issue's classroom with the live system: three laptops boot it from the network
    (firmware PXE), laptops 1 and 2 join and the server streams once both did; laptop 3
    is started once laptop 2 receives (it finds no session and takes everything over
    HTTP); laptop 2's link is cut mid-stream (QMP set_link) and it takes the rest over
    HTTP. Each disk, its signed records and the board are checked on the host."""
    root, master = served_folder(tmp_path)
    school = school_dhcp(classroom_net["school"], SUBNET, tmp_path / "school.log")
    serve = classroom_serve(
        classroom_net["srv"], root, SUBNET, tmp_path / "serve.log",
        "--port", str(PORT), "--image", "classe", "--laptops", "2",
        "--expect", str(len(LAPTOPS) + 1), "--max-bitrate", "20m",
        "--retries-until-drop", "8", "--append", "console=ttyS0,115200n8",
    )  # fmt: skip
    board = BoardWatch(classroom_net["srv"], f"http://{SERVER}:{PORT}/")
    board.thread.start()
    # One emulated CPU each: three laptops share the machine's two cores.
    vms = {index: live_laptop(classroom_net, tmp_path, index, cpus=1) for index in LAPTOPS}
    seen: dict[int, Seen] = {}
    try:
        vms[1].power_on()
        vms[2].power_on()
        wait_until("laptop 2 receiving", lambda: board.frames("PC-2") >= 1, 1200, vms[2])
        vms[3].power_on()  # the late laptop
        with vms[2].qmp() as qmp:  # laptop 2's cable pulled for a while
            qmp.execute("set_link", name="nic0", up=False)
            time.sleep(CUT_S)
            qmp.execute("set_link", name="nic0", up=True)
        for index, vm in vms.items():
            seen[index] = session_seen(vm, 1200)
        board.stop.set()
        board.thread.join(timeout=30)
        board.poll_once()
    finally:
        board.stop.set()
        stop_all(list(vms.values()), [serve, school])
    for index, got in seen.items():
        print(f"live laptop PC-{index}: session ended {got.seconds:.0f} s after power-on")
        assert got.rc == 0, f"PC-{index}: {vms[index].console_tail(60)}"
        assert "Terminé : l'image est écrite et vérifiée" in got.screen, got.screen
    want = sha256_of(master, MASTER)
    for index, vm in vms.items():
        assert sha256_of(vm.images["disk"], MASTER) == want, f"PC-{index}'s disk differs"
    frames = frame_list.load(root / "images" / "classe" / FRAMES_FILE)
    over_http, sent = {}, 0
    for index, got in seen.items():
        records = verified_records(got, tmp_path, f"pc{index}")
        [record] = [r for r in records if r["kind"] == "image_deploy"]
        how = record["transport"]
        assert record["outcome"] == "deployed" and how["kind"] == "multicast", how
        sent = sent or how["frames_total"]
        assert how["frames_verified"] == how["frames_total"] == sent, how
        over_http[index] = http_frames(how["fallback_ranges"], frames)
    assert over_http[1] < sent, "laptop 1 got nothing by multicast"
    assert 0 < over_http[2] < sent, over_http  # cut: dropped, the rest over HTTP
    assert over_http[3] == sent, over_http  # late: all by HTTP
    for index in LAPTOPS:
        states = board.seen.get(f"PC-{index}", [])
        assert states and states[-1] == "done" and {"joined", "receiving"} & set(states)
        assert f"PC-{index}" in board.page, board.page
