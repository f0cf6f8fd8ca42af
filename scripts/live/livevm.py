"""Boot the built live ISO under QEMU the way a bench PC would: firmware (OVMF with
Secure Boot, or SeaBIOS) -> the stick on USB -> Station on tty1, with emulated SATA and
NVMe disks beside it. Reuses the VM tier's harness (scripts/vm/harness.py: drives,
their QEMU options, image checks, QMP) and only changes how the machine boots.

The console (ttyS0) is a unix socket logged to console.log: the test logs in there as
the supervisor (root) to run commands. tty1 (Station) is driven with QMP `send-key`,
through the guest's French AZERTY keymap, and read back as text with `station-console`
(it prints /dev/vcsu1 on the console).
"""

from __future__ import annotations

import codecs
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import NVME, SATA, TCG_CPU, VM, Drive, NetbootVM, choose_accel

LIVE_MARK = "@@STATION-LIVE"
OVMF_DIR = Path("/usr/share/OVMF")
# Secure Boot on: Microsoft's keys enrolled, so only Debian's signed shim can boot.
OVMF_SB_CODE = OVMF_DIR / "OVMF_CODE_4M.secboot.fd"
OVMF_SB_VARS = OVMF_DIR / "OVMF_VARS_4M.ms.fd"
STICK_SERIAL = "STN-LIVE-STICK"
LIVE_BENCH = (SATA, NVME)


def ovmf_missing_reason() -> str | None:
    for path in (OVMF_SB_CODE, OVMF_SB_VARS):
        if not path.is_file():
            return f"{path} missing (Debian package ovmf; `make vm-boot` installs it)"
    return None


def secure_boot_firmware(workdir: Path) -> list[str]:
    """QEMU options for OVMF with Secure Boot on, its variables (Microsoft's keys) copied
    into `workdir` on first use so a boot can change them."""
    vars_copy = workdir / "OVMF_VARS.fd"
    if not vars_copy.exists():
        shutil.copyfile(OVMF_SB_VARS, vars_copy)
    return [
        "-global", "driver=cfi.pflash01,property=secure,value=on",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_SB_CODE}",
        "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
    ]  # fmt: skip


class SerialConsole:
    """The guest's ttyS0 through QEMU's socket chardev: what it printed, and typing."""

    def __init__(self, path: Path, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._sock.connect(str(path))
                break
            except OSError:
                self._sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.text = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._serial = 0

    def _read(self) -> None:
        # Incremental: a UTF-8 character split across two reads must not become U+FFFD.
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.text += decoder.decode(data).replace("\r", "")

    def mark(self) -> int:
        with self._lock:
            return len(self.text)

    def wait_for(self, pattern: str, timeout_s: float, since: int = 0) -> re.Match[str]:
        regex = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                match = regex.search(self.text, since)
            if match:
                return match
            if time.monotonic() > deadline:
                tail = self.text[-2000:]
                raise TimeoutError(f"no {pattern!r} on the console in {timeout_s:.0f}s:\n{tail}")
            time.sleep(0.2)

    def type(self, text: str) -> None:
        self._sock.sendall(text.encode())

    def login(self, user: str, password: str, timeout_s: float = 120) -> None:
        since = self.mark()
        self.type("\n")
        prompt = self.wait_for(r"login: *$|root@[^\n]*# *$", timeout_s, since)
        if "login" in prompt.group(0):  # else still logged in from before a reboot-less retry
            since = self.mark()
            self.type(user + "\n")
            self.wait_for(r"Password: *$|Mot de passe *: *$", 30, since)
            self.type(password + "\n")
            # Typing before the shell is up loses characters: wait for root's prompt.
            self.wait_for(r"root@[^\n]*# *$", 60, since)
        self.run("stty cols 200 rows 50; export TERM=dumb", timeout_s=60)

    def run(self, command: str, timeout_s: float = 120) -> tuple[int, str]:
        """Run a shell command on the console; (exit code, output). The markers are
        typed split (`@@B""7`) so the echo of the command line never matches them."""
        self._serial += 1
        n = self._serial
        since = self.mark()
        self.type(f'echo @@B""{n}; {command}; echo @@E""{n} rc=$?\n')
        match = self.wait_for(rf"@@B{n}\n(.*?)@@E{n} rc=(\d+)", timeout_s, since)
        return int(match.group(2)), match.group(1)

    def close(self) -> None:
        self._sock.close()


# QEMU key names (US positions) for what a French AZERTY layout types.
AZERTY_SWAPS = {"a": "q", "q": "a", "z": "w", "w": "z", "m": "semicolon"}
AZERTY_SYMBOLS = {
    " ": "spc", "-": "6", "_": "8", ",": "m", ";": "comma", ":": "dot", "!": "slash",
    ".": "shift-comma", "/": "shift-dot", "=": "equal", "\n": "ret",
}  # fmt: skip


def azerty_keys(text: str) -> list[str]:
    keys = []
    for char in text:
        if char in AZERTY_SYMBOLS:
            keys.append(AZERTY_SYMBOLS[char])
        elif char.isdigit():
            keys.append(f"shift-{char}")
        elif char.isalpha() and char.isascii():
            key = AZERTY_SWAPS.get(char.lower(), char.lower())
            keys.append(f"shift-{key}" if char.isupper() else key)
        else:
            raise ValueError(f"no AZERTY key for {char!r}")
    return keys


class ConsoleDriven:
    """What the tests do through the logged-in serial console (LiveVM, LiveNetbootVM):
    read tty1, power off from inside."""

    console: SerialConsole | None
    started_at: float
    _process: subprocess.Popen[bytes] | None
    stop: Callable[[], None]  # VM.stop

    def seconds(self) -> float:
        return time.monotonic() - self.started_at

    def screen(self) -> str:
        """What tty1 shows now, as text (needs a logged-in console)."""
        assert self.console is not None
        since = self.console.mark()
        self.console.type("station-console\n")
        match = self.console.wait_for(
            rf"{LIVE_MARK} begin (\d+)\n(.*?){LIVE_MARK} end \1", 60, since
        )
        return match.group(2)

    def shutdown(self, timeout_s: float = 180) -> int:
        """Power off from inside (sync, unmount the data partition), wait for QEMU."""
        assert self.console is not None and self._process is not None
        self.console.type("systemctl poweroff\n")
        try:
            code = self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            code = self._process.wait()
        self.console.close()
        return code


@dataclass
class LiveVM(ConsoleDriven, VM):
    """One machine booting the stick image `stick` with `firmware` 'uefi' or 'bios'."""

    stick: Path = field(default_factory=lambda: Path("stick.img"))
    firmware: str = "uefi"
    started_at: float = 0.0
    console: SerialConsole | None = None
    # QEMU user-mode network (-netdev user,...) behind a laptop-like Intel NIC, or None
    # for a machine with no network at all. restrict=on: the guest reaches nothing but
    # its DHCP server and the guestfwd'd ports (the inventory on the host's 127.0.0.1).
    netdev: str | None = None
    plugs: int = 0  # times the stick was put back (plug_stick)

    @property
    def serial_socket(self) -> Path:
        return self.workdir / "serial.sock"

    def qemu_argv(self, initrd: Path | None = None) -> list[str]:
        accel = choose_accel()
        machine = "q35,smm=on" if self.firmware == "uefi" else "q35"
        argv = ["timeout", "--kill-after=10", str(self.timeout_s), "qemu-system-x86_64"]
        argv += ["-M", machine, "-accel", accel, "-cpu", "host" if accel == "kvm" else TCG_CPU]
        argv += ["-smp", str(self.cpus), "-m", str(self.memory_mib), "-nodefaults"]
        argv += ["-display", "none", "-vga", "std"]
        if self.firmware == "uefi":
            argv += secure_boot_firmware(self.workdir)
        argv += [
            "-chardev",
            f"socket,id=con,path={self.serial_socket},server=on,wait=off,"
            f"logfile={self.console_log}",
            "-serial", "chardev:con",
            "-qmp", f"unix:{self.qmp_socket},server=on,wait=off",
            "-device", "ahci,id=ahci0",
            "-device", "qemu-xhci,id=xhci0",
            "-drive", f"if=none,id=d-stick,format=raw,cache=writeback,file={self.stick}",
            "-device",
            f"usb-storage,bus=xhci0.0,drive=d-stick,id=dev-stick,removable=on,"
            f"serial={STICK_SERIAL},bootindex=0",
        ]  # fmt: skip
        if self.netdev is not None:
            argv += ["-netdev", self.netdev, "-device", "e1000e,netdev=net0"]
        for index, name in enumerate(self.pcie_roles(), start=1):
            argv += ["-device", f"pcie-root-port,id=rp-{name},chassis={index},slot={index}"]
        for drive in self.drives:
            argv += self.drive_args(drive)
        return argv

    def power_on(self) -> None:
        for stale in (self.console_log, self.qmp_socket, self.serial_socket):
            stale.unlink(missing_ok=True)
        self.start_qemu(self.qemu_argv())
        self.started_at = self._started
        self.console = SerialConsole(self.serial_socket)

    def send_keys(self, keys: list[str], pause_s: float = 0.15) -> None:
        with self.qmp() as qmp:
            for key in keys:
                qmp.send_key(key)
                time.sleep(pause_s)

    def type_tty1(self, text: str) -> None:
        self.send_keys(azerty_keys(text))

    def throttle_writes(self, role: str, bytes_per_s: int) -> None:
        """Slow a drive's writes from now on (QMP block_set_io_throttle; 0: no limit), so
        a job on it lasts long enough to be interrupted on purpose."""
        with self.qmp() as qmp:
            qmp.execute(
                "block_set_io_throttle", device=f"d-{role}", bps=0, bps_rd=0,
                bps_wr=bytes_per_s, iops=0, iops_rd=0, iops_wr=0,
            )  # fmt: skip

    def pull_stick(self) -> None:
        """Unplug the USB stick (QMP device_del), as a trainer pulls it after a toram boot."""
        with self.qmp() as qmp:
            qmp.device_del(self.stick_id())

    def plug_stick(self) -> None:
        """Put the stick back: the same image file and serial on a new drive (QEMU
        dropped the old one with its device), as a trainee plugs it in again."""
        self.plugs += 1
        n = self.plugs
        with self.qmp() as qmp:
            qmp.drive_add(f"if=none,id=d-stick{n},format=raw,cache=writeback,file={self.stick}")
            qmp.device_add(
                f"usb-storage,bus=xhci0.0,drive=d-stick{n},id=dev-stick{n},removable=on,"
                f"serial={STICK_SERIAL}"
            )

    def stick_id(self) -> str:
        return f"dev-stick{self.plugs}" if self.plugs else "dev-stick"


INVENTORY_IP = "10.0.2.100"  # where the guest finds the host's inventory (guestfwd)


def user_network(host_port: int) -> str:
    """A NIC whose http://10.0.2.100/ is the host's 127.0.0.1:host_port (nothing else)."""
    relay = Path(__file__).with_name("tcp-relay.py")
    return (
        "user,id=net0,restrict=on,"
        f"guestfwd=tcp:{INVENTORY_IP}:80-cmd:{sys.executable} {relay} {host_port}"
    )


def make_live_vm(
    workdir: Path,
    stick: Path,
    firmware: str,
    drives: tuple[Drive, ...],
    netdev: str | None = None,
) -> LiveVM:
    return LiveVM(
        rootfs=None,  # type: ignore[arg-type]  # boots from the stick, not a built rootfs
        workdir=workdir,
        drives=drives,
        memory_mib=2048,
        timeout_s=1500,
        stick=stick,
        firmware=firmware,
        netdev=netdev,
    )


@dataclass
class LiveNetbootVM(ConsoleDriven, NetbootVM):
    """A laptop with no stick booting the live system's network build from the classroom
    server (NetbootVM: the firmware's PXE or iPXE, a tap on the classroom bridge), with
    a screen (tty1) and its serial console on a socket, as LiveVM, to log in as the
    supervisor and read tty1. `smbios_serial` is the serial number on its label."""

    smbios_serial: str = ""
    # "bios": SeaBIOS runs the card's PXE ROM; "uefi": OVMF with Secure Boot (Microsoft's
    # keys) and its own network driver (QEMU's iPXE ROM is not signed: romfile= empty).
    firmware: str = "bios"
    console: SerialConsole | None = None
    started_at: float = 0.0

    @property
    def serial_socket(self) -> Path:
        return self.workdir / "serial.sock"

    def qemu_argv(self, initrd: Path | None = None) -> list[str]:
        argv = super().qemu_argv(initrd)
        con = argv.index(f"file,id=con,path={self.console_log}")
        argv[con] = (
            f"socket,id=con,path={self.serial_socket},server=on,wait=off,logfile={self.console_log}"
        )
        argv += ["-vga", "std"]
        if self.firmware == "uefi":
            argv[argv.index("q35")] = "q35,smm=on"
            card = next(i for i, a in enumerate(argv) if a.startswith(f"{self.nic},"))
            kept = [part for part in argv[card].split(",") if not part.startswith("romfile=")]
            argv[card] = ",".join(kept).replace(",bootindex=1", "") + ",romfile=,bootindex=1"
            argv += secure_boot_firmware(self.workdir)
        if self.smbios_serial:
            argv += ["-smbios", f"type=1,serial={self.smbios_serial}"]
        return argv

    def power_on(self) -> None:
        self.serial_socket.unlink(missing_ok=True)
        self.boot_netboot()
        self.started_at = self._started
        self.console = SerialConsole(self.serial_socket)
