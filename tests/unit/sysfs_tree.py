"""A fake /sys, /proc and /run laid out like the real ones, for the discovery unit tests.

The layout copies what the kernel publishes (checked on real machines):
  sys/devices/<chain>/block/<disk>/<partition>/   attributes: dev, size, ro, partition...
  sys/class/block/<name>  -> that directory
  sys/dev/block/<M>:<m>   -> that directory
  <disk>/device           -> the parent device (model, vendor, rev, serial, wwid)
  dm-N under sys/devices/virtual/block, with slaves/ and the lower device's holders/
  run/udev/data/b<M>:<m>  udev's database (E:KEY=VALUE lines)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ATA_CHAIN = "pci0000:00/0000:00:1f.2/ata{n}/host{n}/target{n}:0:0/{n}:0:0:0"
USB_CHAIN = "pci0000:00/0000:00:14.0/usb2/2-{n}/2-{n}:1.0/host{h}/target{h}:0:0/{h}:0:0:0"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def _link(link: Path, target: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))


@dataclass
class FakeHost:
    root: Path
    mountinfo: list[str] = field(default_factory=list)
    swaps: list[str] = field(default_factory=list)
    cmdline: str = "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro quiet"

    @property
    def sys(self) -> Path:
        return self.root / "sys"

    @property
    def proc(self) -> Path:
        return self.root / "proc"

    @property
    def run(self) -> Path:
        return self.root / "run"

    def _register(self, name: str, directory: Path, major: int, minor: int) -> None:
        _write(directory / "dev", f"{major}:{minor}")
        (directory / "holders").mkdir(parents=True, exist_ok=True)
        (directory / "slaves").mkdir(exist_ok=True)
        _link(self.sys / "class" / "block" / name, directory)
        _link(self.sys / "dev" / "block" / f"{major}:{minor}", directory)

    def disk(
        self,
        name: str,
        major: int,
        minor: int,
        *,
        chain: str = ATA_CHAIN.format(n=0),
        size_bytes: int = 500 * 10**9,
        ro: bool = False,
        removable: bool = False,
        rotational: bool = True,
        lbs: int = 512,
        pbs: int = 4096,
        device_attrs: dict[str, str] | None = None,
        block_attrs: dict[str, str] | None = None,
    ) -> Path:
        parent = self.sys / "devices" / chain
        directory = parent / "block" / name if "/nvme" not in chain else parent / name
        self._register(name, directory, major, minor)
        _write(directory / "size", str(size_bytes // 512))
        _write(directory / "ro", "1" if ro else "0")
        _write(directory / "removable", "1" if removable else "0")
        _write(directory / "queue" / "rotational", "1" if rotational else "0")
        _write(directory / "queue" / "logical_block_size", str(lbs))
        _write(directory / "queue" / "physical_block_size", str(pbs))
        for key, value in (device_attrs or {}).items():
            _write(parent / key, value)
        for key, value in (block_attrs or {}).items():
            _write(directory / key, value)
        _link(directory / "device", parent)
        return directory

    def partition(self, disk: str, number: int, major: int, minor: int) -> str:
        name = f"{disk}p{number}" if disk[-1].isdigit() else f"{disk}{number}"
        directory = (self.sys / "class" / "block" / disk).resolve() / name
        self._register(name, directory, major, minor)
        _write(directory / "partition", str(number))
        _write(directory / "size", "2048")
        return name

    def holder(self, lower: str, name: str, major: int, minor: int, dm_name: str = "") -> None:
        """A dm/md device built on `lower` (its holders/ and the upper's slaves/ agree)."""
        upper = self.sys / "devices" / "virtual" / "block" / name
        if not (upper / "dev").exists():
            self._register(name, upper, major, minor)
            _write(upper / "size", "2048")
            if dm_name:
                _write(upper / "dm" / "name", dm_name)
        lower_dir = (self.sys / "class" / "block" / lower).resolve()
        _link(lower_dir / "holders" / name, upper)
        _link(upper / "slaves" / lower, lower_dir)

    def mount(
        self,
        major: int,
        minor: int,
        mount_point: str,
        source: str = "/dev/x",
        fs_type: str = "ext4",
    ) -> None:
        mount_id = 20 + len(self.mountinfo)
        mount_point = mount_point.replace(" ", "\\040")  # as the kernel writes it
        self.mountinfo.append(
            f"{mount_id} 1 {major}:{minor} / {mount_point} rw,relatime shared:1 - "
            f"{fs_type} {source} rw"
        )

    def udev(self, major: int, minor: int, props: dict[str, str]) -> None:
        lines = [f"E:{key}={value}" for key, value in props.items()]
        _write(self.run / "udev" / "data" / f"b{major}:{minor}", "\n".join(lines))

    def live(self) -> None:
        (self.run / "live").mkdir(parents=True, exist_ok=True)

    def write(self) -> FakeHost:
        """Write /proc; call after adding mounts, swaps and the command line."""
        _write(self.proc / "self" / "mountinfo", "\n".join(self.mountinfo))
        header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority"
        rows = [f"{path}\tpartition\t1048572\t\t0\t\t-2" for path in self.swaps]
        _write(self.proc / "swaps", "\n".join([header, *rows]))
        _write(self.proc / "cmdline", self.cmdline)
        self.run.mkdir(parents=True, exist_ok=True)
        return self

    def roots(self) -> dict[str, Any]:
        return {"sys_root": self.sys, "proc_root": self.proc, "run_root": self.run}
