"""Deploy a Clonezilla directory as Clonezilla restores it: the saved table with sfdisk,
the post-MBR gap of a BIOS master, each partition with partclone (one decompression
feeding every disk of a batch), swap made again with its UUID and LABEL, the NTFS backup
boot sector, the MBR boot code; then a read-only check of everything written
(partclone checked its own CRCs already). A disk smaller than the master gets its last
filesystem shrunk (see clonezilla_fit)."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.errors import CommandError
from station.imaging import clonezilla_finish as finish
from station.imaging.clonezilla import FS_CHECK, ClonezillaImage, partition_node, table_for
from station.imaging.clonezilla_fit import FitPlan, Staged, copy_staged, stage_shrunk
from station.imaging.kernel_table import refresh_kernel_table
from station.imaging.partclone_feed import restore_partition

TIMEOUT = 600.0


@dataclass
class Outcome:
    device: str
    plan: FitPlan | None = None
    error: str | None = None
    evidence: list[CommandEvidence] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what was checked, and how
    steps: list[str] = field(default_factory=list)  # what was done besides partclone
    checked: bool = False
    cancelled: bool = False  # `error` is the operator's stop, not a fault

    def run(self, runner: Runner, *argv: str) -> CommandEvidence:
        result = runner.run(argv, timeout=TIMEOUT)
        self.evidence.append(result)
        return result

    def must(self, result: CommandEvidence, what: str) -> bool:
        self.evidence.append(result)
        if not result.ok and self.error is None:
            self.error = f"{what}: {result.describe()}"
        return result.ok


def _write_table(image: ClonezillaImage, outcome: Outcome, runner: Runner) -> None:
    last_size = outcome.plan.size_sectors if outcome.plan is not None else None
    with tempfile.NamedTemporaryFile("w", prefix="station-pt-", suffix=".sf") as script:
        script.write(table_for(image, outcome.device, last_size))
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
    if outcome.plan is not None:
        outcome.steps.append(
            f"partition {outcome.plan.number} shrunk to {outcome.plan.size_bytes} bytes "
            "to fit this disk"
        )
    refreshed = refresh_kernel_table(runner, outcome.device)
    outcome.evidence += refreshed
    if not refreshed[-1].ok:
        outcome.error = f"kernel did not take the partitions: {refreshed[-1].describe()}"
        return
    if image.hidden_after_mbr is not None and image.label == "dos":
        first = min(e.start for e in image.entries)
        try:
            done = finish.write_hidden_after_mbr(
                runner, image.hidden_after_mbr, outcome.device, first
            )
        except CommandError as exc:
            outcome.error = f"boot loader gap: {exc.one_line()}"
            return
        if outcome.must(done, "post-MBR boot loader not written"):
            outcome.steps.append("wrote the boot loader between the MBR and partition 1")


def _stage(image: ClonezillaImage, outcomes: list[Outcome], runner: Runner) -> dict[int, Staged]:
    """One shrunk copy per distinct size the smaller disks need (before any write)."""
    staged: dict[int, Staged] = {}
    for outcome in outcomes:
        plan = outcome.plan
        if plan is None or plan.part is None or plan.size_sectors in staged:
            continue
        staged[plan.size_sectors] = stage_shrunk(image, plan, runner)
    return staged


def deploy_clonezilla(
    image: ClonezillaImage,
    devices: list[str],
    runner: Runner,
    *,
    plans: list[FitPlan | None] | None = None,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[Outcome]:
    """Restore `image` onto every device; raises ImageError (nothing written) when a
    smaller disk's filesystem cannot be shrunk."""
    outcomes = [
        Outcome(device, plan)
        for device, plan in zip(devices, plans or [None] * len(devices), strict=True)
    ]
    staged = _stage(image, outcomes, runner)
    try:
        for outcome in outcomes:
            outcome.evidence += [e for s in staged.values() for e in s.evidence]
            _write_table(image, outcome, runner)
        _restore_all(image, outcomes, staged, runner, tick, cancel)
    finally:
        for copy in staged.values():
            copy.close()
    for outcome in outcomes:
        if outcome.error is None:
            _finish(image, outcome, runner)
        if outcome.error is None:
            _check(image, outcome, runner)
    return outcomes


def _restore_all(
    image: ClonezillaImage,
    outcomes: list[Outcome],
    staged: dict[int, Staged],
    runner: Runner,
    tick: Callable[[int], None] | None,
    cancel: threading.Event | None,
) -> None:
    done = 0

    def on_read(count: int) -> None:
        nonlocal done
        done += count
        if tick is not None:
            tick(done)

    for part in image.partitions:
        alive = [o for o in outcomes if o.error is None]
        shrunk = [o for o in alive if o.plan is not None and o.plan.part == part]
        streamed = [o for o in alive if o not in shrunk]
        for outcome in shrunk:
            assert outcome.plan is not None
            node = partition_node(outcome.device, part.number)
            copy = copy_staged(staged[outcome.plan.size_sectors], node, runner)
            outcome.must(copy, f"{part.name}: shrunk copy failed")
        if not streamed:
            continue
        nodes = [partition_node(o.device, part.number) for o in streamed]
        restores = restore_partition(part, nodes, runner, on_read=on_read, cancel=cancel)
        for outcome, restore in zip(streamed, restores, strict=True):
            if restore.evidence is not None:
                outcome.evidence.append(restore.evidence)
            if restore.error is not None:
                outcome.error = f"{part.name}: {restore.error}"
                outcome.cancelled = restore.cancelled


def _finish(image: ClonezillaImage, outcome: Outcome, runner: Runner) -> None:
    numbers = {e.number for e in image.entries}
    for swap in image.swaps:
        if swap.number not in numbers:
            continue
        node = partition_node(outcome.device, swap.number)
        if outcome.must(finish.make_swap(runner, node, swap.uuid, swap.label), "mkswap"):
            outcome.steps.append(f"made swap on {node} (UUID {swap.uuid}, LABEL {swap.label})")
    for part in image.partitions:
        if part.fstype != "ntfs" or outcome.error is not None:
            continue
        node = partition_node(outcome.device, part.number)
        try:
            written = finish.repair_ntfs_backup_boot(runner, node)
        except (CommandError, OSError) as exc:
            outcome.error = f"{part.name}: NTFS backup boot sector: {exc}"
            return
        if all(outcome.must(e, f"{part.name}: NTFS backup boot sector") for e in written):
            outcome.steps.append(f"wrote the NTFS backup boot sector of {node}")
    if image.mbr is not None and outcome.error is None:
        wrote = finish.write_boot_code(runner, image.mbr, outcome.device)
        if outcome.must(wrote, "MBR boot code not written"):
            outcome.steps.append("wrote the MBR boot code (446 bytes)")


def _check(image: ClonezillaImage, outcome: Outcome, runner: Runner) -> None:
    for part in image.partitions:
        check = FS_CHECK.get(part.fstype)
        node = partition_node(outcome.device, part.number)
        if check is None:
            outcome.checks.append(f"{node}: {part.fstype} restored by partclone (its CRCs)")
            continue
        result = outcome.run(runner, *check, node)
        if not result.ok:
            outcome.error = f"{part.name}: filesystem check failed: {result.describe()}"
            return
        outcome.checks.append(f"{node}: `{' '.join(check)}` clean")
    numbers = {e.number for e in image.entries}
    for swap in image.swaps:
        if swap.number not in numbers:
            continue
        node = partition_node(outcome.device, swap.number)
        probe, values = finish.swap_identity(runner, node)
        outcome.evidence.append(probe)
        if values.get("TYPE") != "swap" or (swap.uuid and values.get("UUID") != swap.uuid):
            outcome.error = f"{swap.name}: no swap with UUID {swap.uuid} after mkswap"
            return
        outcome.checks.append(f"{node}: swap signature, UUID {swap.uuid}")
    if not _check_boot_bytes(image, outcome):
        return
    outcome.checked = True


def _check_boot_bytes(image: ClonezillaImage, outcome: Outcome) -> bool:
    wanted: list[tuple[str, Path, int, int]] = []
    if image.mbr is not None:
        wanted.append(("MBR boot code", image.mbr, 0, finish.BOOT_CODE))
    if image.hidden_after_mbr is not None and image.label == "dos":
        size = image.hidden_after_mbr.stat().st_size
        wanted.append(("post-MBR gap", image.hidden_after_mbr, finish.SECTOR, size))
    for what, source, offset, length in wanted:
        if not finish.same_bytes(source, outcome.device, offset, length):
            outcome.error = f"{what} does not read back as saved"
            return False
        outcome.checks.append(f"{what}: {length} bytes read back as saved")
    return True


def compressed_size(image: ClonezillaImage) -> int:
    return sum(Path(p).stat().st_size for part in image.partitions for p in part.pieces)
