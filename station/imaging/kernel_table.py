"""Tell the kernel the partition table just written on a disk, with `partx`.

Some kernels parse no table by themselves, and `partx -u` keeps stale entries, so every
partition the kernel holds for the disk is dropped (`partx -d`), then those of the table
added (`partx -a`). The kernel refuses both (EBUSY: "error deleting partition 1", then
"error adding partition 1", since it is still there) while anything holds a partition
open. On a running system that is often udev: closing the disk after the image was
written makes udevd read the new table again and probe each new partition (blkid), at the
moment the deploy's post-steps begin. Seen on a network-booted live laptop of the
classroom tier (tests/vm/test_classroom_live_inventory.py): the image written and
verified, then both `partx` calls failed and the deploy was reported failed. So udev is
let finish (`udevadm settle`, where udev runs) before each try, and the pair is tried a
few times before the failure is reported; a partition held for good (mounted, in use)
still fails, with every try kept as evidence.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable

from station.devices.runner import CommandEvidence, Runner

log = logging.getLogger(__name__)

TIMEOUT = 600.0
TRIES = 3
SETTLE = ("udevadm", "settle", "--timeout=30")


def refresh_kernel_table(
    runner: Runner,
    device: str,
    *,
    udev: bool | None = None,
    pause_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[CommandEvidence]:
    """Drop every partition the kernel holds for `device`, then add those of its table;
    every command's evidence, the last one `partx -a` (its `ok` says whether the kernel
    took the table). `udev`: whether udevadm is here to wait for (None: on PATH)."""
    if udev is None:
        udev = shutil.which(SETTLE[0]) is not None
    evidence: list[CommandEvidence] = []
    for attempt in range(1, TRIES + 1):
        if udev:
            evidence.append(runner.run(SETTLE, timeout=TIMEOUT))
        dropped = runner.run(["partx", "-d", device], timeout=TIMEOUT)  # fails when none: fine
        added = runner.run(["partx", "-a", device], timeout=TIMEOUT)
        evidence += [dropped, added]
        if added.ok:
            return evidence
        log.warning(
            "partx on %s failed (try %d of %d): %s", device, attempt, TRIES, added.describe()
        )
        if attempt < TRIES:
            sleep(pause_s)
    return evidence
