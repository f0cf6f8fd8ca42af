"""Telling the kernel a new partition table (station/imaging/kernel_table.py) on a real loop
device, while a partition is held open the way udev's probe holds a new partition for a
moment after a disk was written: the kernel refuses `partx -d` and `partx -a` (EBUSY), as
seen on a network-booted live laptop of the classroom tier. The refresh tries again once
the holder let go and the kernel takes the table; held for good, it reports the failure
with every try as evidence."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from station.devices.runner import CommandEvidence, SubprocessRunner
from station.imaging.kernel_table import TRIES, refresh_kernel_table
from tests.block.imaging_support import MIB, forget_partitions, refresh, sh, tools_reason
from tests.conftest import LoopFactory

pytestmark = [
    pytest.mark.block,
    pytest.mark.skipif(bool(tools_reason()), reason=str(tools_reason())),
]

ONE = "label: gpt\n,8M,L\n"
TWO = "label: gpt\n,8M,L\n,8M,L\n"


@dataclass
class LetsGoAfterRefusal:
    """The real runner; the first time the kernel refuses `partx -a`, `release` runs (the
    prober closing the partition), before the refresh's next try."""

    release: Callable[[], None]
    runner: SubprocessRunner = field(default_factory=SubprocessRunner)
    released: bool = False

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        done = self.runner.run(argv, timeout=timeout)
        if list(argv[:2]) == ["partx", "-a"] and not done.ok and not self.released:
            self.release()
            self.released = True
        return done


def held_partition(make_loop: LoopFactory) -> tuple[str, int]:
    """A loop device whose kernel holds partition 1 of an old table, that partition
    open, and a new table of two partitions on the disk that the kernel was not told."""
    device = make_loop(32 * MIB)
    sh("sfdisk", "-q", device, stdin=ONE)
    refresh(device)
    holder = os.open(f"{device}p1", os.O_RDONLY)
    sh("sfdisk", "-q", "--no-reread", "--no-tell-kernel", device, stdin=TWO)
    assert not Path(f"{device}p2").exists()
    return device, holder


def test_a_partition_held_for_a_moment_is_taken_on_the_next_try(make_loop: LoopFactory) -> None:
    device, holder = held_partition(make_loop)
    runner = LetsGoAfterRefusal(lambda: os.close(holder))
    try:
        evidence = refresh_kernel_table(runner, device, udev=False, pause_s=0)
    finally:
        if not runner.released:
            os.close(holder)
        forget_partitions(device)
    first_drop, first_add = evidence[0], evidence[1]
    # The kernel's own refusal while the partition was open (what the live laptop saw).
    assert not first_drop.ok and "error deleting partition 1" in first_drop.stderr
    assert not first_add.ok and "error adding partition 1" in first_add.stderr
    assert runner.released and evidence[-1].ok, [e.describe() for e in evidence]
    assert [e.argv[:2] for e in evidence] == [("partx", "-d"), ("partx", "-a")] * 2


def test_a_partition_held_for_good_is_reported_with_every_try(make_loop: LoopFactory) -> None:
    device, holder = held_partition(make_loop)
    try:
        evidence = refresh_kernel_table(SubprocessRunner(), device, udev=False, pause_s=0)
    finally:
        os.close(holder)
        forget_partitions(device)
    assert len(evidence) == 2 * TRIES
    assert not evidence[-1].ok and "error adding partition 1" in evidence[-1].stderr


def test_udev_is_let_finish_before_each_try(make_loop: LoopFactory) -> None:
    """Where udev runs, `udevadm settle` comes before each pair (a runner that answers
    for it: this machine may have no udev)."""
    device, holder = held_partition(make_loop)
    real = LetsGoAfterRefusal(lambda: os.close(holder))

    class WithUdev:
        def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
            if argv[0] == "udevadm":
                return real.runner.run(["true"], timeout=timeout)
            return real.run(argv, timeout=timeout)

    try:
        evidence = refresh_kernel_table(WithUdev(), device, udev=True, pause_s=0)
    finally:
        if not real.released:
            os.close(holder)
        forget_partitions(device)
    assert evidence[-1].ok
    assert [e.argv[0] for e in evidence] == ["true", "partx", "partx"] * 2
