"""Deploy a Clonezilla directory: the saved table with sfdisk, then each partition with
partclone (one decompression feeding every disk of a batch), then a read-only
filesystem check of each restored partition (partclone checked its own CRCs already)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.imaging.clonezilla import FS_CHECK, ClonezillaImage, partition_node, table_for
from station.imaging.partclone_feed import restore_partition

TIMEOUT = 600.0


@dataclass
class Outcome:
    device: str
    error: str | None = None
    evidence: list[CommandEvidence] = field(default_factory=list)
    checked: bool = False

    def run(self, runner: Runner, *argv: str) -> CommandEvidence:
        result = runner.run(argv, timeout=TIMEOUT)
        self.evidence.append(result)
        return result


def refresh_kernel_table(runner: Runner, device: str) -> list[CommandEvidence]:
    """Drop every partition the kernel holds for `device`, then add those of its table
    (some kernels parse no table themselves, and `partx -u` keeps stale entries)."""
    dropped = runner.run(["partx", "-d", device], timeout=TIMEOUT)  # fails when none: fine
    return [dropped, runner.run(["partx", "-a", device], timeout=TIMEOUT)]


def _write_table(image: ClonezillaImage, outcome: Outcome, runner: Runner) -> None:
    with tempfile.NamedTemporaryFile("w", prefix="station-pt-", suffix=".sf") as script:
        script.write(table_for(image, outcome.device))
        script.flush()
        # sfdisk reads its script on stdin; `sh` only redirects it (arguments stay separate).
        done = outcome.run(
            runner,
            "sh",
            "-c",
            'exec sfdisk --no-reread --no-tell-kernel "$1" < "$2"',
            "sh",
            outcome.device,
            script.name,
        )
    if not done.ok:
        outcome.error = f"partition table not written: {done.describe()}"
        return
    refreshed = refresh_kernel_table(runner, outcome.device)
    outcome.evidence += refreshed
    if not refreshed[-1].ok:
        outcome.error = f"kernel did not take the partitions: {refreshed[-1].describe()}"


def deploy_clonezilla(
    image: ClonezillaImage,
    devices: list[str],
    runner: Runner,
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[Outcome]:
    outcomes = [Outcome(device) for device in devices]
    for outcome in outcomes:
        _write_table(image, outcome, runner)
    done = 0

    def on_read(count: int) -> None:
        nonlocal done
        done += count
        if tick is not None:
            tick(done)

    for part in image.partitions:
        alive = [o for o in outcomes if o.error is None]
        if not alive:
            break
        nodes = [partition_node(o.device, part.number) for o in alive]
        restores = restore_partition(part, nodes, runner, on_read=on_read, cancel=cancel)
        for outcome, restore in zip(alive, restores, strict=True):
            if restore.evidence is not None:
                outcome.evidence.append(restore.evidence)
            if restore.error is not None:
                outcome.error = f"{part.name}: {restore.error}"
    for outcome in outcomes:
        if outcome.error is None:
            _check(image, outcome, runner)
    return outcomes


def _check(image: ClonezillaImage, outcome: Outcome, runner: Runner) -> None:
    for part in image.partitions:
        check = FS_CHECK.get(part.fstype)
        if check is None:
            continue
        node = partition_node(outcome.device, part.number)
        result = outcome.run(runner, *check, node)
        if not result.ok:
            outcome.error = f"{part.name}: filesystem check failed: {result.describe()}"
            return
    outcome.checked = True


def compressed_size(image: ClonezillaImage) -> int:
    return sum(Path(p).stat().st_size for part in image.partitions for p in part.pieces)
