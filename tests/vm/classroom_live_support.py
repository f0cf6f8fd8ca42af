"""What the classroom tier's live-system tests share: the network-boot build they serve
(`make live-netboot`, in $STATION_NETBOOT_DIR), the served folder with one image, the
QEMU laptops that boot it by their firmware's PXE, and what the host reads through a
laptop's serial console once its session ended (tty1, its exported signed journal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import MIB, Drive, qemu_missing_reason

from station.classroom.pxe import LIVE_FILES
from station.imaging.raw_create import create_raw_image
from station.journal.chain import decode_payload
from tests.block.imaging_support import write_profile
from tests.block.net_support import make_master

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "live"))
# Re-exported: the tests take them from here.
from livevm import LiveNetbootVM as LiveNetbootVM  # noqa: E402
from livevm import ovmf_missing_reason as ovmf_missing_reason  # noqa: E402

NETBOOT_DIR = Path(os.environ.get("STATION_NETBOOT_DIR", "/var/tmp/station-live-netboot"))
MASTER = 64 * MIB
DISK = Drive("disk", "virtio", "STN-LIVE-DISK", size=256 * MIB)
# Each laptop's card and the serial number on its label (SMBIOS), which names it on the
# board.
LAPTOPS = {1: "52:54:00:5a:7d:21", 2: "52:54:00:5a:7d:22", 3: "52:54:00:5a:7d:23"}
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


def wait_for_log(path: Path, text: str, limit_s: float, vm: LiveNetbootVM) -> None:
    deadline = time.monotonic() + limit_s
    while not (path.is_file() and text in path.read_text(errors="replace")):
        if time.monotonic() > deadline or vm._exited():
            bios = vm.workdir / "seabios.log"
            tail = bios.read_text(errors="replace")[-1500:] if bios.is_file() else ""
            pytest.fail(f"no {text!r} in {path.name}; SeaBIOS log tail:\n{tail}")
        time.sleep(1)


def live_laptop(
    net: dict[str, str], tmp_path: Path, index: int, *, firmware: str = "bios", cpus: int = 2
) -> LiveNetbootVM:
    """Laptop `index` (no stick, one 256 MiB disk of old data), its card on tap{index}."""
    return LiveNetbootVM(
        rootfs=None,  # type: ignore[arg-type]  # boots from the network, not a built rootfs
        workdir=tmp_path / f"pc{index}",
        drives=(DISK,),
        memory_mib=2048,  # fetch= copies the ~350 MiB squashfs into RAM
        cpus=cpus,
        timeout_s=1500,
        netns=net["sw"],
        tap=f"tap{index}",
        mac=LAPTOPS[index],
        firmware_pxe=True,
        smbios_serial=f"PC-{index}",
        firmware=firmware,
    )


@dataclass
class Seen:
    """What the host read through a laptop's serial console once its session ended."""

    rc: int  # station classroom-laptop's exit code
    seconds: float  # from power-on to the end of the session
    screen: str  # tty1
    cmdline: str
    env: str  # /run/station/env
    secure_boot: str  # the kernel's words about Secure Boot
    chain_rc: int
    chain: str  # the exported signed journal
    key: str  # its public key
    sync_status: str  # `station sync --status`: what waits to reach the inventory


def session_seen(vm: LiveNetbootVM, limit_s: float) -> Seen:
    """Wait for the end of the laptop's session (its mark on the serial console), log in
    as the supervisor, read what the test checks, power it off."""
    console = vm.console
    assert console is not None
    try:
        ended = console.wait_for(r"@@STATION-CLASSROOM end rc=(\d+)", limit_s)
    except TimeoutError as exc:
        pytest.fail(f"{vm.workdir.name}: {exc}")
    seconds = vm.seconds()
    console.login("root", PASSWORD)
    screen = vm.screen()
    _, cmdline = console.run("cat /proc/cmdline")
    _, env = console.run("cat /run/station/env")
    _, secure_boot = console.run("dmesg | grep -i 'secure boot' || true")
    chain_rc, chain = console.run(
        "station journal export /tmp/chain.jsonl >/dev/null && cat /tmp/chain.jsonl"
    )
    _, key = console.run("station journal key")
    _, sync_status = console.run("station sync --status || true")
    vm.shutdown()
    return Seen(
        int(ended.group(1)), seconds, screen, cmdline, env, secure_boot, chain_rc, chain, key,
        sync_status,
    )  # fmt: skip


def verified_records(seen: Seen, folder: Path, name: str) -> list[dict[str, Any]]:
    """The laptop's exported journal, checked on the host against its own public key."""
    assert seen.chain_rc == 0, seen.chain
    return verified_chain(seen.chain.strip() + "\n", seen.key.strip() + "\n", folder, name)


def verified_chain(chain_text: str, key_pem: str, folder: Path, name: str) -> list[dict[str, Any]]:
    """A chain (JSON lines of envelopes) checked offline with `station verify --key`, as a
    reviewer would; the records' bodies."""
    chain, key = folder / f"{name}-chain.jsonl", folder / f"{name}.pub.pem"
    chain.write_text(chain_text)
    key.write_text(key_pem)
    verified = subprocess.run(
        [sys.executable, "-m", "station", "verify", str(chain), "--key", str(key)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return [decode_payload(json.loads(line)) for line in chain_text.splitlines()]


def stop_all(vms: list[LiveNetbootVM], processes: list[subprocess.Popen[bytes]]) -> None:
    for vm in vms:
        vm.stop()
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def wait_until(what: str, check: Callable[[], bool], limit_s: float, vm: LiveNetbootVM) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline or vm._exited():
            pytest.fail(f"gave up waiting for {what}; {vm.console_tail(30)}")
        time.sleep(0.5)
