"""A UEFI laptop with Secure Boot on boots from the classroom server through Debian's
signed chain: firmware PXE -> shim (signed by Microsoft) -> network GRUB (signed by
Debian, checked by shim) -> the kernel (Debian's signed kernel, checked through shim).

Same classroom network as tests/vm/test_classroom_boot.py (its `classroom_net` fixture:
a bridge, the classroom server's namespace, a tap; its "school" namespace stays silent:
Debian 12's signed network GRUB reads its TFTP server from the DHCP answer that gave the
address, so the classroom server gives them, `--address-pool`). The VM
is q35 with OVMF's Secure Boot build and a copy of its variables with Microsoft's keys
enrolled, as a PC from the shop; no disk, a virtio NIC driven by OVMF's own driver
(romfile= empty: QEMU's iPXE option ROM is not signed). The live system is not built
here: the VM tier's kernel (Debian's signed linux-image package, as in the live image)
and a small initramfs (Debian's static busybox; the VM tier's own is 300 MiB, minutes by
GRUB's TFTP under TCG) stand in for it; its init prints the SecureBoot variable it sees
and powers the VM off.

A second test serves an unsigned GRUB in place of the signed one: shim must refuse it
and Linux must never start.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.vm.classroom_net import served_live_folder
from tests.vm.test_classroom_boot import SUBNET, classroom_net  # noqa: F401 (fixture)

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.ms.fd")  # Secure Boot build (needs SMM)
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")  # Microsoft's keys enrolled
SIGNED_SHIM = Path("/usr/lib/shim/shimx64.efi.signed")
SIGNED_GRUB = Path("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed")
UNSIGNED_GRUB = Path("/usr/lib/grub/x86_64-efi/monolithic/grubnetx64.efi")

pytestmark = [
    pytest.mark.vm,
    pytest.mark.skipif(
        not (OVMF_CODE.is_file() and OVMF_VARS.is_file()), reason="Debian's ovmf is missing"
    ),
    pytest.mark.skipif(
        not (SIGNED_SHIM.is_file() and SIGNED_GRUB.is_file()),
        reason="Debian's shim-signed / grub-efi-amd64-signed are missing",
    ),
]

REPO = Path(__file__).resolve().parents[2]
LINUX_UP = "station-uefi: init reached"
# What shim says when the next loader's signature is not one it trusts.
REFUSED = ("Verification failed", "Security Violation")
GRUB_FAILED = "Press any key to continue"
# /init of the small initramfs: what the booted system sees of Secure Boot, then off
# (efivarfs is a module in Debian's kernel: the kernel's own words and lockdown instead).
INIT = """#!/bin/busybox sh
/bin/busybox mkdir -p /dev /proc /sys
/bin/busybox mount -t devtmpfs dev /dev
exec >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t securityfs securityfs /sys/kernel/security
echo "station-uefi: init reached"
echo "station-uefi: lockdown: $(/bin/busybox cat /sys/kernel/security/lockdown)"
echo "station-uefi: dmesg: $(/bin/busybox dmesg | /bin/busybox grep 'Secure boot enabled')"
/bin/busybox poweroff -f
"""


def small_initramfs(target: Path, work: Path) -> None:
    """An initramfs of Debian's static busybox and INIT (~1 MiB). The VM tier's own
    (300 MiB, uncompressed) would take minutes by GRUB's TFTP under TCG."""
    debs = Path("/var/cache/station-vm/debs")
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob("busybox-static_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", "busybox-static"], cwd=debs, check=True)
        found = sorted(debs.glob("busybox-static_*.deb"))
    unpacked = work / "deb"
    unpacked.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(unpacked)], check=True)
    tree = work / "tree"
    (tree / "bin").mkdir(parents=True)
    shutil.copyfile(unpacked / "bin" / "busybox", tree / "bin" / "busybox")
    (tree / "bin" / "busybox").chmod(0o755)
    (tree / "init").write_text(INIT)
    (tree / "init").chmod(0o755)
    names = "\n".join(["bin", "bin/busybox", "init"]) + "\n"
    with target.open("wb") as out:
        subprocess.run(
            ["cpio", "-o", "-H", "newc", "--quiet"], input=names.encode(), cwd=tree,
            stdout=out, check=True,
        )  # fmt: skip


def boot_uefi_laptop(
    net: dict[str, str], tmp_path: Path, grub: Path | None = None
) -> tuple[str, str]:
    """Serve the classroom (addresses given by it), network-boot one OVMF Secure Boot VM;
    (console, dnsmasq's log)."""
    root, _ = served_live_folder(tmp_path)
    small_initramfs(root / "live" / "initrd.img", tmp_path / "initramfs")
    argv = [
        sys.executable, "-m", "station", "classroom", "prepare", "--root", str(root),
        "--interface", "eth0", "--address", f"{SUBNET}.1", "--subnet", f"{SUBNET}.0/24",
        "--port", "8080", "--append", "console=ttyS0 panic=-1 loglevel=7",
        # Debian 12's signed network GRUB takes its TFTP server from the DHCP answer that
        # gave the address, never from a proxy's: the classroom server gives them here
        # (the "school" namespace of the fixture stays silent).
        "--address-pool", f"{SUBNET}.100-{SUBNET}.150",
    ]  # fmt: skip
    subprocess.run(argv, cwd=REPO, check=True, capture_output=True)
    log = (tmp_path / "serve.log").open("wb")
    serve_argv = ["ip", "netns", "exec", net["srv"], *argv[:4], "serve", *argv[5:]]
    serve_argv += ["--image", "classe", "--laptops", "1"]
    serve = subprocess.Popen(serve_argv, cwd=REPO, stdout=log, stderr=log)
    console = tmp_path / "console.log"
    console.touch()
    vars_copy = tmp_path / "OVMF_VARS.fd"
    shutil.copyfile(OVMF_VARS, vars_copy)
    try:
        if grub is not None:
            # Break the chain: `serve` rewrites tftp/, so swap GRUB once dnsmasq runs.
            wait_for(lambda: (root / "dnsmasq.log").is_file(), serve)
            shutil.copyfile(grub, root / "tftp" / "grubx64.efi")
        qemu = subprocess.Popen(
            ["ip", "netns", "exec", net["sw"], "timeout", "480",
             "qemu-system-x86_64", "-M", "q35,smm=on", "-accel", "tcg", "-m", "1536",
             "-nodefaults", "-display", "none", "-no-reboot",
             "-global", "driver=cfi.pflash01,property=secure,value=on",
             "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
             "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
             "-serial", f"file:{console}",
             "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
             "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:5a:7c:02,romfile="],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            # Linux powers the VM off by itself; a refused loader leaves OVMF trying the
            # next boot option forever, so stop as soon as shim said so.
            while qemu.poll() is None:
                said = console.read_text(errors="replace")
                if any(word in said for word in (LINUX_UP, GRUB_FAILED, *REFUSED)):
                    break
                time.sleep(1)
        finally:
            if qemu.poll() is None:
                qemu.terminate()
            qemu.wait(timeout=60)
    finally:
        serve.terminate()
        serve.wait(timeout=30)
    return console.read_text(errors="replace"), (root / "dnsmasq.log").read_text()


def wait_for(ready: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    while not ready():
        assert process.poll() is None, "station classroom serve stopped"
        time.sleep(0.2)


def test_secure_boot_laptop_boots_through_the_signed_chain(
    classroom_net: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    console, proxy = boot_uefi_laptop(classroom_net, tmp_path)
    assert LINUX_UP in console, console[-3000:]
    # The firmware asked as a UEFI x86-64 client and got shim, then shim fetched GRUB and
    # GRUB its grub.cfg, the kernel and the initrd from the same TFTP server.
    assert "DHCPACK(eth0)" in proxy and "bootfile-name  shimx64.efi" in proxy, proxy[-3000:]
    for sent in ("shimx64.efi", "grubx64.efi", "grub/grub.cfg", "live/vmlinuz", "live/initrd.img"):
        assert f"sent {tmp_path / 'srv' / 'tftp' / sent}" in proxy, proxy[-3000:]
    # Secure Boot was on all along: the kernel saw it in the firmware's variables (so
    # GRUB had it checked through shim), and so does the booted system.
    assert "Secure boot enabled" in console, console[-3000:]
    seen = dict(
        line.removeprefix("station-uefi: ").split(": ", 1)
        for line in console.splitlines()
        if line.startswith("station-uefi: ") and ": " in line.removeprefix("station-uefi: ")
    )
    assert "Secure boot enabled" in seen.get("dmesg", ""), console[-3000:]
    # Secure Boot puts the kernel in lockdown (integrity), as on a real laptop.
    assert "[integrity]" in seen.get("lockdown", ""), console[-3000:]
    assert not any(word in console for word in REFUSED)


@pytest.mark.skipif(not UNSIGNED_GRUB.is_file(), reason="grub-efi-amd64-bin is missing")
def test_secure_boot_refuses_an_unsigned_grub(
    classroom_net: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    console, proxy = boot_uefi_laptop(classroom_net, tmp_path, grub=UNSIGNED_GRUB)
    assert f"sent {tmp_path / 'srv' / 'tftp' / 'grubx64.efi'}" in proxy, proxy[-3000:]
    assert any(word in console for word in REFUSED), console[-3000:]
    assert LINUX_UP not in console
