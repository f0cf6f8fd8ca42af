"""Kernel block throttling for the deploy bench's `throttled` batch targets.

A RAM-backed loop device costs the kernel CPU per byte, so on 2 cores three of them make
the batch CPU-bound; a dock's SATA SSDs cost DMA instead and are limited by their own
speed. Limiting each loop device the bench made to a SATA SSD's speed (blk-throttle: cgroup
v1 `blkio.throttle.*_bps_device`, or cgroup v2 `io.max`) models that dock. The limits sit
in a cgroup of their own; the bench process enters it only for a timed deploy and always
goes back to where it was; the cgroup is removed at the end. Station's code is unchanged:
its O_DIRECT reads and writes are throttled because the process issuing them is inside.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

V1 = Path("/sys/fs/cgroup/blkio")
V2_ROOTS = (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))
MB = 1_000_000  # drive makers' megabytes


@dataclass(frozen=True)
class Hierarchy:
    """Where a throttling cgroup can be made, and which files set its limits."""

    version: int  # 1 (blkio) or 2 (io)
    root: Path

    @property
    def files(self) -> str:
        if self.version == 1:
            return "cgroup v1 blkio, blkio.throttle.write_bps_device / read_bps_device"
        return "cgroup v2, io.max wbps / rbps"


def find_hierarchy() -> Hierarchy | str:
    """The cgroup hierarchy that can throttle block I/O here, else why none can."""
    if (V1 / "blkio.throttle.write_bps_device").exists():
        return Hierarchy(1, V1)
    reasons = []
    for root in V2_ROOTS:
        controllers = root / "cgroup.controllers"
        if not controllers.exists():
            continue
        if "io" not in controllers.read_text().split():
            reasons.append(f"{root} is cgroup v2 without the io controller")
        elif "io" not in (root / "cgroup.subtree_control").read_text().split():
            # Enabling it would change the machine's cgroup setup for everyone: not ours to do.
            reasons.append(f"{root} is cgroup v2 with io not enabled for child groups")
        else:
            return Hierarchy(2, root)
    return "; ".join(reasons) or "no cgroup v1 blkio and no cgroup v2 hierarchy mounted"


def major_minor(device: str) -> str:
    return (Path("/sys/block") / Path(device).name / "dev").read_text().strip()


def current_group(hierarchy: Hierarchy) -> Path:
    """This process's cgroup in `hierarchy`, read from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        wanted = "blkio" in controllers.split(",") if hierarchy.version == 1 else controllers == ""
        if wanted:
            return hierarchy.root / path.lstrip("/")
    raise RuntimeError(f"this process is in no {hierarchy.files} group")


class Throttle:
    """A cgroup limiting each given loop device to `write_bps` / `read_bps` on its own."""

    def __init__(self, hierarchy: Hierarchy, devices: list[str], write_bps: int, read_bps: int):
        self.hierarchy = hierarchy
        self.group = hierarchy.root / f"station-bench-deploy-{os.getpid()}"
        self.devices = [major_minor(d) for d in devices]
        self.group.mkdir()
        try:
            for device in self.devices:
                if hierarchy.version == 1:
                    (self.group / "blkio.throttle.write_bps_device").write_text(
                        f"{device} {write_bps}"
                    )
                    (self.group / "blkio.throttle.read_bps_device").write_text(
                        f"{device} {read_bps}"
                    )
                else:
                    (self.group / "io.max").write_text(f"{device} rbps={read_bps} wbps={write_bps}")
        except BaseException:
            self.group.rmdir()
            raise

    @contextmanager
    def inside(self) -> Iterator[None]:
        """The whole process (all its threads, and children it starts) inside, then back."""
        home = current_group(self.hierarchy)
        pid = str(os.getpid())
        (self.group / "cgroup.procs").write_text(pid)
        try:
            yield
        finally:
            (home / "cgroup.procs").write_text(pid)

    def bytes_counted(self) -> int:
        """Bytes the kernel counted for our devices in this group (0: nothing throttled)."""
        if self.hierarchy.version == 1:
            lines = (self.group / "blkio.throttle.io_service_bytes").read_text().splitlines()
            return sum(
                int(fields[2])
                for fields in (line.split() for line in lines)
                if len(fields) == 3 and fields[0] in self.devices and fields[1] in ("Read", "Write")
            )
        total = 0
        for line in (self.group / "io.stat").read_text().splitlines():
            device, *pairs = line.split()
            if device in self.devices:
                stats = dict(pair.split("=", 1) for pair in pairs)
                total += int(stats.get("rbytes", 0)) + int(stats.get("wbytes", 0))
        return total

    def close(self) -> None:
        self.group.rmdir()
