"""Boot the VM tier's Debian kernel under QEMU with emulated drives, drive it, read results.

One `VM` is one boot: disk image files in a work directory, a QEMU started under
`timeout`, a QMP socket for hot-plug, the console on ttyS0 and the agent's results on
ttyS1 (both chardev files). Inside, the agent (agent.py) starts udev, waits for every
expected serial and runs the payload given to `VM.boot`; its JSON result is read from
ttyS1 between marker lines once QEMU has exited.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from overlay import build_initrd
from qmp import QMP
from rootfs import BuiltRootfs

MIB = 1024 * 1024
OLD_DATA = b"STATION-OLD-DATA"  # what test images hold before a wipe
EVENT_PREFIX = "@@STATION-EVENT "
RESULT_BEGIN = "@@STATION-RESULT-BEGIN"
RESULT_END = "@@STATION-RESULT-END"
# Marker UUID of the stand-in live stick's vfat filesystem (volume id without the dash).
STICK_FS_UUID = "5A7C-0001"


@dataclass(frozen=True)
class Drive:
    """One emulated drive: its role in the tests, bus, serial and backing file size."""

    role: str
    bus: str  # ata | nvme | usb | virtio
    serial: str
    size: int = 256 * MIB
    model: str | None = None
    wwn: str | None = None
    read_only: bool = False
    critical_warning: bool = False
    blkdebug: str | None = None  # blkdebug config text: [inject-error] rules
    hotplug_later: bool = False  # attached by the test through QMP, not at boot
    write_bps: int | None = None  # QEMU write throttling, to keep a wipe running a while
    namespaces: int = 1  # NVMe only: namespaces 2.. get images of their own, "<role>-nsN"


# The standard bench of boot 1 (docs/testing.md, "What QEMU emulates"): one drive per bus,
# a second NVMe that reports a critical warning, and a read-only stick standing for the
# live medium. Serials are short enough for every bus (ide-hd/nvme/virtio allow 20).
SATA = Drive("sata", "ata", "STN-SATA-0001", model="STATION SATA DISK", wwn="0x5000c50015ea7001")
NVME = Drive("nvme", "nvme", "STN-NVME-0001")
NVME_CRIT = Drive("nvme_crit", "nvme", "STN-NVME-CRIT", critical_warning=True)
USB = Drive("usb", "usb", "STN-USB-0001")
VIRTIO = Drive("virtio", "virtio", "STN-VIRT-0001")
STICK = Drive("stick", "usb", "STN-STICK-0001", size=64 * MIB, read_only=True)
STANDARD_BENCH = (SATA, NVME, NVME_CRIT, USB, VIRTIO, STICK)


# Under TCG, QEMU emulates REP MOVSB/STOSB one byte per loop turn. With "max" advertising
# ERMS/FSRM the guest kernel clears and copies every page with them (clear_page_erms,
# memcpy_erms): sampled in the silent 30-45 s pause after /sbin/init, one vCPU sat on
# clear_page_erms' `rep stosb` the whole time, the other idle (docs/live-image.md, "Boot
# time"). Real laptops run those instructions at full speed, so the emulated CPU leaves
# ERMS/FSRM out and the kernel uses its word-sized copies: what is measured or timed out
# here is the guest's work, not an emulator artefact. The images are unchanged. Shared
# by the VM tier, the classroom VMs and the live tier (scripts/live/livevm.py).
TCG_CPU = "max,-erms,-fsrm"


def blkdebug_eio(sectors: list[int], *, event: str = "write_aio") -> str:
    """A blkdebug config making every write (or read) touching these sectors fail (EIO)."""
    rules = [
        f'[inject-error]\nevent = "{event}"\nerrno = "5"\nsector = "{s}"\nonce = "off"\n'
        for s in sectors
    ]
    return "\n".join(rules)


def choose_accel() -> str:
    """KVM only where the CPU really has it: /dev/kvm exists here but is unusable (no vmx)."""
    flags = Path("/proc/cpuinfo").read_text()
    has_flags = " vmx" in flags or " svm" in flags
    if has_flags and os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "kvm"
    return "tcg"


def qemu_missing_reason() -> str | None:
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 is not installed (Debian package qemu-system-x86)"
    if shutil.which("timeout") is None:
        return "coreutils timeout is missing"
    return None


def namespace_images(drive: Drive) -> list[str]:
    """Image names of a drive: its role, then "<role>-nsN" for NVMe namespaces 2.."""
    return [drive.role] + [f"{drive.role}-ns{n}" for n in range(2, drive.namespaces + 1)]


def fill_image(path: Path, size: int, *, dirty: bool) -> None:
    """A raw image; `dirty` fills every byte with a non-zero pattern so a wipe that skips
    any range is visible from the host afterwards."""
    with path.open("wb") as handle:
        if not dirty:
            handle.truncate(size)
            return
        block = OLD_DATA * (MIB // len(OLD_DATA))
        for _ in range(size // MIB):
            handle.write(block)


def make_stick(path: Path, size: int) -> None:
    """An MBR stick with one vfat partition whose UUID is the live-medium marker."""
    fill_image(path, size, dirty=False)
    subprocess.run(
        ["sfdisk", "--quiet", str(path)],
        input="label: dos\n2048,,c\n",
        text=True,
        check=True,
        capture_output=True,
    )
    volume_id = STICK_FS_UUID.replace("-", "")
    subprocess.run(
        [
            "mkfs.vfat",
            "-F",
            "16",
            "-n",
            "STATIONLIVE",
            "-i",
            volume_id,
            "--offset=2048",
            str(path),
            str((size - 2048 * 512) // 1024),
        ],
        check=True,
        capture_output=True,
    )


def blocks_with_old_data(path: Path, *, block: int = MIB) -> list[int]:
    """Offsets of the blocks that still hold the pattern `fill_image` wrote: any left after
    a wipe, whatever its pattern (zeros, random), is data the wipe missed."""
    found = []
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            if OLD_DATA in chunk:
                found.append(offset)
            offset += len(chunk)
    return found


def is_all_zero(path: Path) -> bool:
    """Checks the image from the host, independently of Station."""
    with path.open("rb") as handle:
        while chunk := handle.read(8 * MIB):
            if chunk.count(0) != len(chunk):
                return False
    return True


def nonzero_ranges(path: Path, *, block: int = MIB) -> list[tuple[int, int]]:
    """[start, end) byte ranges (block granularity) that are not all zeros."""
    ranges: list[tuple[int, int]] = []
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            if chunk.count(0) != len(chunk):
                if ranges and ranges[-1][1] == offset:
                    ranges[-1] = (ranges[-1][0], offset + len(chunk))
                else:
                    ranges.append((offset, offset + len(chunk)))
            offset += len(chunk)
    return ranges


@dataclass
class VMResult:
    returncode: int
    console: str
    channel: str
    result: dict[str, object] | None
    seconds: float

    def describe(self) -> str:
        tail = "\n".join(self.console.splitlines()[-40:])
        return f"qemu rc={self.returncode} after {self.seconds:.0f}s; console tail:\n{tail}"


@dataclass
class VM:
    """One boot of the test VM with the given drives, in `workdir`."""

    rootfs: BuiltRootfs
    workdir: Path
    drives: tuple[Drive, ...] = STANDARD_BENCH
    memory_mib: int = 1536
    cpus: int = 2
    timeout_s: int = 300
    extra_cmdline: str = ""
    # Devices beyond the drives, e.g. a sound card for the functional tests.
    extra_devices: tuple[str, ...] = ()
    images: dict[str, Path] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = None
    _started: float = 0.0

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for drive in self.drives:
            for image in namespace_images(drive):
                path = self.workdir / f"{image}.img"
                self.images[image] = path
                if path.exists():
                    continue
                if drive.role == "stick":
                    make_stick(path, drive.size)
                else:
                    fill_image(path, drive.size, dirty=True)

    # -- paths -----------------------------------------------------------------------
    @property
    def console_log(self) -> Path:
        return self.workdir / "console.log"

    @property
    def channel_log(self) -> Path:
        return self.workdir / "channel.log"

    @property
    def qmp_socket(self) -> Path:
        return self.workdir / "qmp.sock"

    # -- QEMU command line -----------------------------------------------------------
    def drive_args(self, drive: Drive) -> list[str]:
        """-drive/-device arguments for one drive (also used to build hot-plug commands)."""
        if drive.namespaces > 1:
            return self.namespaced_nvme_args(drive)
        return ["-drive", self.drive_spec(drive), "-device", self.device_spec(drive)]

    def namespaced_nvme_args(self, drive: Drive) -> list[str]:
        """One NVMe controller with a namespace per image (QEMU's nvme-ns devices)."""
        controller = f"nvme,id=ctl-{drive.role},bus=rp-{drive.role},serial={drive.serial}"
        args: list[str] = []
        devices = ["-device", controller]
        for nsid, image in enumerate(namespace_images(drive), start=1):
            path = self.images[image]
            args += ["-drive", f"if=none,id=d-{image},format=raw,cache=writeback,file={path}"]
            devices += ["-device", f"nvme-ns,drive=d-{image},bus=ctl-{drive.role},nsid={nsid}"]
        return args + devices

    def drive_spec(self, drive: Drive) -> str:
        image = self.images[drive.role]
        if drive.blkdebug is not None:
            conf = self.workdir / f"{drive.role}.blkdebug"
            conf.write_text(drive.blkdebug)
            source = f"file=blkdebug:{conf}:{image}"
        else:
            source = f"file={image}"
        readonly = ",readonly=on" if drive.read_only else ""
        throttle = f",throttling.bps-write={drive.write_bps}" if drive.write_bps else ""
        return f"if=none,id=d-{drive.role},format=raw,cache=writeback,{source}{readonly}{throttle}"

    def device_spec(self, drive: Drive) -> str:
        base = f"drive=d-{drive.role},id=dev-{drive.role},serial={drive.serial}"
        if drive.bus == "ata":
            extra = "".join(
                f",{k}={v}" for k, v in (("model", drive.model), ("wwn", drive.wwn)) if v
            )
            return f"ide-hd,bus=ahci0.{self.ata_port(drive)}{extra},{base}"
        if drive.bus == "nvme":
            warn = ",smart_critical_warning=1" if drive.critical_warning else ""
            return f"nvme,bus=rp-{drive.role}{warn},{base}"
        if drive.bus == "usb":
            removable = ",removable=on" if drive.role == "stick" else ""
            return f"usb-storage,bus=xhci0.0{removable},{base}"
        if drive.bus == "virtio":
            return f"virtio-blk-pci,bus=rp-{drive.role},{base}"
        raise ValueError(f"unknown bus {drive.bus}")

    def ata_port(self, drive: Drive) -> int:
        return [d.role for d in self.drives if d.bus == "ata"].index(drive.role)

    def qemu_argv(self, initrd: Path) -> list[str]:
        accel = choose_accel()
        cmdline = (
            f"console=ttyS0,115200 panic=-1 loglevel=4 usb-storage.delay_use=0 "
            f"station.marker={STICK_FS_UUID} {self.extra_cmdline}"
        ).strip()
        argv = [
            "timeout",
            "--kill-after=10",
            str(self.timeout_s),
            "qemu-system-x86_64",
            "-M",
            "q35",
            "-accel",
            accel,
            "-cpu",
            "host" if accel == "kvm" else TCG_CPU,
            "-smp",
            str(self.cpus),
            "-m",
            str(self.memory_mib),
            "-nodefaults",
            "-no-reboot",
            "-display",
            "none",
            "-kernel",
            # NetbootVM replaces it: a laptop booted from the network has no rootfs here.
            str(self.rootfs.kernel) if self.rootfs is not None else "/dev/null",
            "-initrd",
            str(initrd),
            "-append",
            cmdline,
            "-chardev",
            f"file,id=con,path={self.console_log}",
            "-serial",
            "chardev:con",
            "-chardev",
            f"file,id=chan,path={self.channel_log}",
            "-serial",
            "chardev:chan",
            "-qmp",
            f"unix:{self.qmp_socket},server=on,wait=off",
            "-device",
            "ahci,id=ahci0",
            "-device",
            "qemu-xhci,id=xhci0",
        ]
        # One PCIe root port per PCIe drive (and spares) so NVMe/virtio can be hot-plugged.
        for index, name in enumerate([*self.pcie_roles(), "spare1", "spare2"], start=1):
            argv += ["-device", f"pcie-root-port,id=rp-{name},chassis={index},slot={index}"]
        for drive in self.drives:
            if not drive.hotplug_later:
                argv += self.drive_args(drive)
        return argv + list(self.extra_devices)

    def pcie_roles(self) -> list[str]:
        return [d.role for d in self.drives if d.bus in ("nvme", "virtio")]

    # -- running ---------------------------------------------------------------------
    def boot(self, payload: str, *, config: dict[str, object] | None = None) -> None:
        """Start QEMU with `payload` (Python source run inside the VM by the agent)."""
        expected = [d.serial for d in self.drives if not d.hotplug_later]
        settings = {
            "expected_serials": expected,
            "roles": {d.role: d.serial for d in self.drives},
            **(config or {}),
        }
        initrd = build_initrd(self.rootfs, self.workdir, payload, settings)
        for stale in (self.console_log, self.channel_log, self.qmp_socket):
            stale.unlink(missing_ok=True)
        self.start_qemu(self.qemu_argv(initrd))

    def start_qemu(self, argv: list[str]) -> None:
        """Start QEMU (argv saved beside its output) in a session of its own."""
        (self.workdir / "qemu-argv.txt").write_text(" ".join(argv) + "\n")
        self._started = time.monotonic()
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=(self.workdir / "qemu-stdout.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so stop() can end `timeout` and QEMU together
        )

    def qmp(self) -> QMP:
        deadline = time.monotonic() + 30
        while not self.qmp_socket.exists():
            if time.monotonic() > deadline or self._exited():
                raise RuntimeError(f"no QMP socket; {self._qemu_output()}")
            time.sleep(0.1)
        return QMP(self.qmp_socket)

    def events(self) -> list[str]:
        return [
            line[len(EVENT_PREFIX) :].strip()
            for line in self._channel().splitlines()
            if line.startswith(EVENT_PREFIX)
        ]

    def wait_event(self, name: str, timeout_s: float = 180) -> None:
        """Wait until the payload announced `name` (vmlib.event) on the result channel."""
        deadline = time.monotonic() + timeout_s
        while name not in self.events():
            if self._exited():
                raise RuntimeError(f"VM stopped before event {name!r}; {self.console_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no event {name!r} in {timeout_s}s; {self.console_tail()}")
            time.sleep(0.2)

    def wait(self) -> VMResult:
        assert self._process is not None, "boot() first"
        try:
            returncode = self._process.wait(timeout=self.timeout_s + 30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            returncode = self._process.wait()
        seconds = time.monotonic() - self._started
        channel = self._channel()
        return VMResult(
            returncode, self._read(self.console_log), channel, parse_result(channel), seconds
        )

    def stop(self) -> None:
        """End QEMU for sure. Killing only `timeout` (our child) cannot pass that on: QEMU
        then ran on, orphaned, sharing the two CPUs with the next boot (the live tier's
        "blank BIOS" run). QEMU runs in `timeout`'s session, so the group is ended."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            process.wait()

    def console_tail(self, lines: int = 30) -> str:
        return "console tail:\n" + "\n".join(self._read(self.console_log).splitlines()[-lines:])

    def _exited(self) -> bool:
        return self._process is not None and self._process.poll() is not None

    def _channel(self) -> str:
        return self._read(self.channel_log)

    def _qemu_output(self) -> str:
        return self._read(self.workdir / "qemu-stdout.log")

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


def parse_result(channel: str) -> dict[str, object] | None:
    """The JSON between the marker lines (OVMF/firmware may write noise on any port)."""
    start = channel.rfind(RESULT_BEGIN)
    end = channel.rfind(RESULT_END)
    if start < 0 or end < start:
        return None
    body = channel[start + len(RESULT_BEGIN) : end].strip()
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


@contextmanager
def running(vm: VM, payload: str, *, config: dict[str, object] | None = None) -> Iterator[VM]:
    """Boot and yield for host-side choreography (QMP); QEMU is killed if the body fails.
    Call `vm.wait()` inside or after the block to collect the result."""
    vm.boot(payload, config=config)
    try:
        yield vm
    except BaseException:
        vm.stop()
        raise


IPXE_KERNEL = Path("/usr/lib/ipxe/ipxe.lkrn")


# The network card's boot ROM for the firmware's own PXE: Debian's ipxe-qemu builds of
# iPXE, what QEMU's cards carry (a laptop's card carries its maker's PXE ROM instead).
# None: QEMU's default for the card. Seen under QEMU 7.2 + SeaBIOS 1.16.2 (q35): a
# virtio card given romfile= explicitly (pxe-virtio.rom, or even efi-virtio.rom, its
# default) had its ROM BAR mapped and never run ("Booting from Hard Disk..." in
# SeaBIOS's log); left to its default, SeaBIOS ran it ("Booting from ROM...").
PXE_ROMS: dict[str, Path | None] = {
    "virtio-net-pci": None,
    "e1000": Path("/usr/lib/ipxe/qemu/pxe-e1000.rom"),
}


@dataclass
class NetbootVM(VM):
    """A laptop with no stick that boots from the network, its network card a tap on the
    classroom bridge inside network namespace `netns`. With `firmware_pxe` the machine's
    firmware (SeaBIOS) runs the card's PXE ROM (`bootindex=1` on the card: without it
    SeaBIOS maps the ROM and boots the disk); else Debian's iPXE (`ipxe.lkrn`, the iPXE
    a firmware's PXE chains to) is given with -kernel. What it boots (kernel, initrd,
    command line) comes from the classroom server; `boot_netboot` starts it."""

    netns: str = ""
    tap: str = "tap0"
    mac: str = "52:54:00:5a:7c:01"
    firmware_pxe: bool = False
    nic: str = "virtio-net-pci"

    def qemu_argv(self, initrd: Path | None = None) -> list[str]:
        argv = super().qemu_argv(initrd or Path("/dev/null"))
        # The drives, the serial ports, QMP stay; the kernel and initrd come over HTTP.
        start = argv.index("-kernel")
        del argv[start : start + 6]  # -kernel K -initrd I -append C
        card = f"{self.nic},netdev=n0,id=nic0,mac={self.mac}"
        if self.firmware_pxe:
            rom = PXE_ROMS[self.nic]
            card += (f",romfile={rom}" if rom else "") + ",bootindex=1"
            # SeaBIOS's own log (QEMU's debug port 0x402): which boot entries it saw.
            argv += ["-chardev", f"file,id=bios,path={self.workdir / 'seabios.log'}"]
            argv += ["-device", "isa-debugcon,iobase=0x402,chardev=bios"]
        else:
            argv[start:start] = ["-kernel", str(IPXE_KERNEL)]
        argv += [
            "-netdev",
            f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
            "-device",
            card,
        ]
        return ["ip", "netns", "exec", self.netns, *argv] if self.netns else argv

    def boot_netboot(self) -> None:
        """Start QEMU; the payload and its config are in the initrd the server serves."""
        for stale in (self.console_log, self.channel_log, self.qmp_socket):
            stale.unlink(missing_ok=True)
        self.start_qemu(self.qemu_argv())
