"""The device half of bench/wipe.py: the loop device it makes and the tools it times.

Every command aims at `LoopDevice.device` only, and `measured()` checks before each one
that the node still is the loop device over this bench's own file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wipe_report import (
    DD_BLOCK,
    MIB,
    BenchError,
    Sample,
    check_nwipe_touched_only,
    parse_nwipe_log,
)

REPO = Path(__file__).resolve().parent.parent
BLKFLSBUF = 0x1261


def run(cmd: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True)


class LoopDevice:
    """A loop device with direct I/O over a fully written file; removed by close()."""

    def __init__(self, backing: Path, size: int) -> None:
        self.backing = backing
        self.device = ""
        with open(backing, "xb") as handle:
            handle.truncate(size)
        try:
            self.device = run(
                ["losetup", "--find", "--show", "--direct-io=on", str(backing)]
            ).stdout.strip()
            if not re.fullmatch(r"/dev/loop\d+", self.device):
                raise BenchError(f"losetup answered {self.device!r}")
            dio = Path(f"/sys/block/{self.name}/loop/dio").read_text().strip()
            if dio != "1":
                raise BenchError(f"{self.device}: direct I/O refused by the backing filesystem")
        except BaseException:
            self.close()
            raise

    @property
    def name(self) -> str:
        return Path(self.device).name

    def is_ours(self) -> bool:
        """The node still is the loop device over our file (checked before each tool)."""
        try:
            backing = Path(f"/sys/block/{self.name}/loop/backing_file").read_text().strip()
        except OSError:
            return False
        return Path(backing) == self.backing.resolve()

    def io_bytes(self) -> tuple[int, int]:
        """(bytes read, bytes written) by the device since it was made."""
        fields = Path(f"/sys/block/{self.name}/stat").read_text().split()
        return int(fields[2]) * 512, int(fields[6]) * 512

    def drop_buffers(self) -> None:
        """Empty the page cache of the device node (what nwipe's buffered I/O goes through)."""
        fd = os.open(self.device, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, BLKFLSBUF, 0)
        finally:
            os.close(fd)

    def close(self) -> None:
        if self.device:
            subprocess.run(["losetup", "-d", self.device], check=False, capture_output=True)
            self.device = ""
        self.backing.unlink(missing_ok=True)


@contextlib.contextmanager
def measured(loop: LoopDevice) -> Iterator[dict[str, float]]:
    """Times the block and records the device's I/O during it."""
    if not loop.is_ours():
        raise BenchError(f"{loop.device} no longer is the loop device this bench made")
    box: dict[str, float] = {}
    read0, written0 = loop.io_bytes()
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start
    read1, written1 = loop.io_bytes()
    box["read"], box["written"] = read1 - read0, written1 - written0


def _sample(box: dict[str, float], nbytes: int, note: str = "") -> Sample:
    return Sample(box["seconds"], nbytes, int(box["read"]), int(box["written"]), note)


@dataclass
class Tools:
    """The commands of one bench, all aimed at `loop.device` only."""

    loop: LoopDevice
    workdir: Path
    chunk: int
    env: dict[str, str]
    size: int

    def dd_write_cmd(self) -> list[str]:
        count = self.size // DD_BLOCK
        return [
            "dd",
            "if=/dev/zero",
            f"of={self.loop.device}",
            "oflag=direct",
            "bs=4M",
            f"count={count}",
        ]

    def dd_read_cmd(self) -> list[str]:
        return ["dd", f"if={self.loop.device}", "of=/dev/null", "iflag=direct", "bs=4M"]

    def wipe_cmd(self, profile: str, report: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "station",
            "wipe",
            self.loop.device,
            "--profile",
            profile,
            "--yes",
            "--json",
            str(report),
        ]

    def nwipe_cmd(self, log: Path) -> list[str]:
        return [
            "nwipe", "--autonuke", "--nogui", "--nowait", "--noblank", "--nousb",
            "--method=zero", "--verify=last", f"--logfile={log}", self.loop.device,
        ]  # fmt: skip

    # Each measure returns one Sample.

    def dd(self, cmd: list[str], nbytes: int) -> Sample:
        with measured(self.loop) as box:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
        return _sample(box, nbytes)

    def station_write(self, random: bool) -> Sample:
        from station.devices.blockio import BlockTarget
        from station.domain.profiles import Pattern
        from station.domain.wipe_report import PassReport
        from station.jobs.overwrite import write_pass
        from station.jobs.patterns import PatternSource
        from station.jobs.profiles import load_wipe_profile

        profile = load_wipe_profile("nist-clear")
        if random:
            source = PatternSource(Pattern.RANDOM, key=os.urandom(32))
        else:
            source = PatternSource(Pattern.ZEROS, b"\0")
        with BlockTarget.open(self.loop.device, write=True) as target:
            report = PassReport(index=1, pattern=source.pattern, started_at=datetime.now(UTC))
            with measured(self.loop) as box:
                write_pass(
                    target,
                    source,
                    report,
                    start=0,
                    policy=profile.io_errors,
                    tick=lambda done: None,
                    checkpoint=lambda offset: None,  # the flush before it still happens
                    checkpoint_every=profile.checkpoint_every_mib * MIB,
                    chunk=self.chunk,
                )
            if report.bytes_written != target.size or report.bad_ranges:
                raise BenchError(f"Station's pass wrote {report.bytes_written} of {target.size}")
            return _sample(box, target.size)

    def station_verify(self) -> Sample:
        from station.devices.blockio import BlockTarget
        from station.domain.profiles import Pattern
        from station.domain.sampling import Extent
        from station.domain.wipe_report import VerificationReport
        from station.jobs.patterns import PatternSource
        from station.jobs.verify import read_back

        source = PatternSource(Pattern.ZEROS, b"\0")
        with BlockTarget.open(self.loop.device, write=False) as target:
            report = VerificationReport(mode="full", expected="zeros", started_at=datetime.now(UTC))
            with measured(self.loop) as box:
                read_back(
                    target,
                    source,
                    [Extent(0, target.size)],
                    report,
                    retries=3,
                    max_bad_sectors=64,
                    tick=lambda done: None,
                    chunk=self.chunk,
                )
            if report.mismatches or report.unreadable or report.bytes_read != target.size:
                raise BenchError("Station's read-back did not find the zeros the bench wrote")
            return _sample(box, target.size)

    def station_wipe(self, profile: str) -> Sample:
        report_path = self.workdir / f"wipe-{profile}.json"
        report_path.unlink(missing_ok=True)
        cmd = self.wipe_cmd(profile, report_path)
        with measured(self.loop) as box:
            done = subprocess.run(
                cmd, capture_output=True, text=True, env=self.env, cwd=REPO, check=False
            )
        if done.returncode != 0:
            raise BenchError(
                f"station wipe ({profile}) exited {done.returncode}: {done.stderr.strip()[-500:]}"
            )
        report = json.loads(report_path.read_text())
        verification = report["verification"]
        if report["result"] != "cleared" or not verification["completed"]:
            raise BenchError(f"station wipe ({profile}) ended {report['result']}")
        rate = report["passes"][0]["rate_bps"] or 0
        mode, coverage = verification["mode"], verification["coverage_percent"]
        note = f"pass {rate / 1e6:,.0f} MB/s, verify {mode} {coverage:.1f} %"
        return _sample(box, report["target"]["size_bytes"], note)

    def nwipe(self) -> Sample:
        log = self.workdir / "nwipe.log"
        log.unlink(missing_ok=True)
        self.loop.drop_buffers()
        info = os.stat(self.loop.device)
        sandbox = [
            "unshare", "--mount", "--propagation", "private", "sh", "-c", NWIPE_SANDBOX, "sh",
            self.loop.device, str(os.major(info.st_rdev)), str(os.minor(info.st_rdev)),
            *self.nwipe_cmd(log),
        ]  # fmt: skip
        with measured(self.loop) as box:
            proc = subprocess.Popen(
                sandbox,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            try:
                output, _ = proc.communicate(timeout=3600)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise BenchError("nwipe took more than an hour") from None
        text = log.read_text(errors="replace") if log.exists() else output
        check_nwipe_touched_only(parse_nwipe_log(text), self.loop.device)
        if proc.returncode != 0:
            raise BenchError(f"nwipe exited {proc.returncode}: {output.strip()[-500:]}")
        return _sample(box, self.size)


# The nwipe sandbox: a private /dev that holds our loop device and nothing else a wipe
# could reach. Arguments: DEVICE MAJOR MINOR then the nwipe command.
NWIPE_SANDBOX = r"""
set -eu
dev=$1; major=$2; minor=$3; shift 3
mount -t tmpfs -o mode=755 station-bench /dev
mknod -m 600 "$dev" b "$major" "$minor"
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/random c 1 8
mknod -m 666 /dev/urandom c 1 9
exec "$@"
"""
