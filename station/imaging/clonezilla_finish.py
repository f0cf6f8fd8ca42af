"""What Clonezilla does around the partclone restores, done the same way by Station.

- BIOS masters: `<disk>-hidden-data-after-mbr` (the sectors between the MBR and the first
  partition: GRUB's core image, some vendors' recovery loaders) is written back after the
  table (Clonezilla's restore_hidden_data_after_MBR: `dd seek=1`), and the first 446
  bytes of `<disk>-mbr` (the boot code; the table itself comes from sfdisk) at the end
  (ocs-restore-mbr: `dd bs=446 count=1`).
- Swap: Clonezilla saves no image, only `swappt-<part>.info` (UUID, LABEL), and makes it
  again with `mkswap -U UUID -L LABEL`, so /etc/fstab finds it.
- NTFS: partclone.ntfs does not write the backup boot sector (outside the volume's
  clusters) and `ntfsresize -f -f` does nothing on a volume that already fills its
  partition ("Nothing to do"), so `ntfsfix -n` would report the alternate boot sector
  BAD. Station copies the boot sector where ntfsresize puts it (after the volume's last
  sector) and where ntfsfix reads it (the partition's last sector).
"""

from __future__ import annotations

import os
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.errors import CommandError

SECTOR = 512
BOOT_CODE = 446
TIMEOUT = 600.0


def _dd(runner: Runner, source: str, target: str, *options: str) -> CommandEvidence:
    argv = ("dd", f"if={source}", f"of={target}", *options, "conv=notrunc,fsync", "status=none")
    return runner.run(argv, timeout=TIMEOUT)


def write_hidden_after_mbr(
    runner: Runner, hidden: Path, device: str, first_start: int
) -> CommandEvidence:
    """The post-MBR gap, when it fits before the first partition (Clonezilla skips it
    otherwise; Station refuses: the boot loader would be missing)."""
    sectors = -(-hidden.stat().st_size // SECTOR)
    if sectors > first_start - 1:
        raise CommandError(
            f"{hidden.name} holds {sectors} sectors, the gap before the first partition "
            f"only {first_start - 1}"
        )
    return _dd(runner, str(hidden), device, f"bs={SECTOR}", "seek=1")


def write_boot_code(runner: Runner, mbr: Path, device: str) -> CommandEvidence:
    return _dd(runner, str(mbr), device, f"bs={BOOT_CODE}", "count=1")


def same_bytes(source: Path, device: str, offset: int, length: int) -> bool:
    """Read back what was written, page cache bypassed enough for a check (fsync'd dd)."""
    expected = source.read_bytes()[:length]
    fd = os.open(device, os.O_RDONLY)
    try:
        return os.pread(fd, len(expected), offset) == expected
    finally:
        os.close(fd)


def make_swap(runner: Runner, node: str, uuid: str | None, label: str | None) -> CommandEvidence:
    argv = ["mkswap"]
    if uuid:
        argv += ["-U", uuid]
    if label:
        argv += ["-L", label]
    return runner.run([*argv, node], timeout=TIMEOUT)


def swap_identity(runner: Runner, node: str) -> tuple[CommandEvidence, dict[str, str]]:
    probe = runner.run(["blkid", "-p", "-o", "export", node], timeout=TIMEOUT)
    values = dict(line.split("=", 1) for line in probe.stdout.splitlines() if "=" in line)
    return probe, values


def ntfs_backup_boot_offsets(node: str) -> list[int]:
    """Byte offsets where the NTFS backup boot sector belongs on `node`."""
    fd = os.open(node, os.O_RDONLY)
    try:
        boot = os.pread(fd, SECTOR, 0)
        size = os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)
    if boot[3:11] != b"NTFS    ":
        raise CommandError(f"{node} holds no NTFS boot sector")
    per_sector = int.from_bytes(boot[11:13], "little") or SECTOR
    after_volume = int.from_bytes(boot[40:48], "little") * per_sector
    offsets = {size - per_sector}
    if after_volume + per_sector <= size:
        offsets.add(after_volume)
    return sorted(offsets)


def repair_ntfs_backup_boot(runner: Runner, node: str) -> list[CommandEvidence]:
    evidence = []
    for offset in ntfs_backup_boot_offsets(node):
        done = _dd(runner, node, node, f"bs={SECTOR}", "count=1", f"seek={offset // SECTOR}")
        evidence.append(done)
        if not done.ok:
            break
    return evidence
