"""A Clonezilla master bigger than the target disk: shrink its last filesystem to fit.

Clonezilla itself refuses a smaller disk (its oldest open request). Station does, before
anything is written to a target: read the used size from the last partition's partclone
header and refuse with the numbers when it cannot fit; otherwise restore that partition
once into a sparse staging file, shrink its filesystem there (`resize2fs` / `ntfsresize`),
and later copy the shrunk filesystem's used blocks onto each target (`partclone -b`).
A staging failure (the tools say it does not fit) is a refusal too: no target was touched.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.errors import ImageError
from station.imaging.clonezilla import GPT_BACKUP_SECTORS, ClonezillaImage, SavedPartition
from station.imaging.partclone_feed import partclone_header, restore_partition

MIB = 1024 * 1024
ALIGN_SECTORS = 2048  # 1 MiB, as partitioning tools align
# Room a filesystem needs beyond its data blocks once shrunk (metadata, journal, MFT zone).
SLACK = {"ext2": 0.10, "ext3": 0.10, "ext4": 0.10, "ntfs": 0.15}
SHRINKABLE = tuple(SLACK)
TIMEOUT = 3600.0


@dataclass(frozen=True)
class FitPlan:
    """How the last partition fits a smaller disk (sizes in sectors, except bytes)."""

    number: int
    size_sectors: int  # the last partition's new size
    part: SavedPartition | None  # None: a swap partition (made again by mkswap)
    used_bytes: int
    sector_size: int

    @property
    def size_bytes(self) -> int:
        return self.size_sectors * self.sector_size


@dataclass
class Staged:
    """The last filesystem restored and shrunk in a sparse file, ready to copy."""

    path: Path
    tool: str
    evidence: list[CommandEvidence]
    holder: tempfile.TemporaryDirectory[str]

    def close(self) -> None:
        self.holder.cleanup()


def _mib(count: int) -> str:
    return f"{count / MIB:.0f} MiB"


def plan_fit(image: ClonezillaImage, target_bytes: int) -> FitPlan | None:
    """None when the master's table fits the disk; else the plan, or ImageError with numbers."""
    if image.required_bytes <= target_bytes:
        return None
    sector = image.sector_size
    last = image.last_entry
    backup = GPT_BACKUP_SECTORS if image.label == "gpt" else 0
    room = (target_bytes // sector - backup - last.start) // ALIGN_SECTORS * ALIGN_SECTORS
    saved = {p.number: p for p in image.partitions}
    swap = {s.number for s in image.swaps}
    too_small = (
        f"the master disk needs {_mib(image.required_bytes)}, the target has {_mib(target_bytes)}"
    )
    if last.number in swap:
        if room * sector < MIB:
            raise ImageError(f"{too_small}: not even 1 MiB left for the swap partition")
        return FitPlan(last.number, room, None, 0, sector)
    part = saved.get(last.number)
    if part is None or part.fstype not in SHRINKABLE:
        kind = "not saved" if part is None else part.fstype
        raise ImageError(
            f"{too_small}, and its last partition ({kind}) cannot be shrunk "
            "(only ext2/3/4 and NTFS can): refused before writing"
        )
    used, _ = partclone_header(part)
    needed = int(used * (1 + SLACK[part.fstype])) + 4 * MIB
    if room <= 0 or needed > room * sector:
        raise ImageError(
            f"{too_small}; its last partition ({part.name}, {part.fstype}) holds "
            f"{_mib(used)} of data and would need about {_mib(needed)}, but only "
            f"{_mib(max(room, 0) * sector)} are left on the target: refused before writing"
        )
    return FitPlan(last.number, room, part, used, sector)


def stage_shrunk(
    image: ClonezillaImage, plan: FitPlan, runner: Runner, work_dir: Path | None = None
) -> Staged:
    """Restore the last partition into a sparse file and shrink its filesystem to the plan."""
    part = plan.part
    assert part is not None
    holder = tempfile.TemporaryDirectory(prefix="station-shrink-", dir=work_dir)
    path = Path(holder.name) / f"{part.name}.{part.fstype}"
    entry = image.last_entry
    with path.open("wb") as handle:
        handle.truncate(entry.size * image.sector_size)
    evidence: list[CommandEvidence] = []

    def must(*argv: str, ok: tuple[int, ...] = (0,)) -> None:
        done = runner.run(argv, timeout=TIMEOUT)
        evidence.append(done)
        if done.returncode not in ok:
            holder.cleanup()
            raise ImageError(
                f"{part.name} could not be shrunk to {_mib(plan.size_bytes)} for the smaller "
                f"disk: {done.describe()} (refused before writing)"
            )

    [restore] = restore_partition(part, [str(path)], runner, on_read=lambda _: None)
    if restore.evidence is not None:
        evidence.append(restore.evidence)
    if restore.error is not None:
        holder.cleanup()
        raise ImageError(f"{part.name}: {restore.error} (while staging; nothing was written)")
    if part.fstype == "ntfs":
        must("ntfsresize", "--force", "--force", "--size", str(plan.size_bytes), str(path))
        # ntfsresize marks the volume for a Windows check; partclone refuses to copy such a
        # volume. Clonezilla clears the flag with `ntfsfix -d` after a resize too.
        must("ntfsfix", "-d", str(path))
    else:
        must("e2fsck", "-f", "-y", str(path), ok=(0, 1))
        must("resize2fs", str(path), f"{plan.size_sectors * plan.sector_size // 1024}K")
    os.truncate(path, plan.size_bytes)
    return Staged(path, part.tool, evidence, holder)


def copy_staged(staged: Staged, node: str, runner: Runner) -> CommandEvidence:
    """Copy the used blocks of the shrunk filesystem onto the target partition."""
    log = staged.path.with_suffix(".copy.log")
    argv = (staged.tool, "-b", "-q", "-L", str(log), "-s", str(staged.path), "-o", node)
    return runner.run(argv, timeout=TIMEOUT)
