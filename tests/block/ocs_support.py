"""Masters saved by Clonezilla's own `ocs-sr` (Debian's clonezilla package) on loop devices,
and independent checks of a deployed disk: every file's sha256 (NTFS through ntfs-3g,
ext4 mounted read-only, FAT through mtools), boot bytes, swap UUID, fsck/ntfsfix clean."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.block.imaging_support import MIB, mounted_ro, refresh, sh
from tests.block.windows_hive import software_hive

NTFS_TYPE = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
MSR_TYPE = "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"
SWAP_UUID = "2f0e6c1a-5b7d-4c39-9a61-0d4e8b3c7f25"
TOOLS = ("ocs-sr", "parted", "partclone.ntfs", "partclone.dd", "mkntfs", "ntfs-3g", "mtype")


def ocs_reason() -> str | None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"Clonezilla tools missing: {', '.join(missing)} (scripts/install-system-deps.sh)"
    return None


@dataclass
class WindowsLikeMaster:
    device: str
    fat: dict[str, bytes] = field(default_factory=dict)  # partition -> files
    files: dict[int, dict[str, bytes]] = field(default_factory=dict)  # partition -> files
    raw: dict[int, bytes] = field(default_factory=dict)  # dd partitions: their bytes
    fat_part: int | None = None
    swap_part: int = 0
    boot_code: bytes = b""
    gap: bytes = b""


def _some_files(count: int, seed: str) -> dict[str, bytes]:
    files = {}
    for index in range(count):
        folder = ("Users/eleve/Documents", "Program Files/Outil", "Windows/System32")[index % 3]
        body = hashlib.sha256(f"{seed}{index}".encode()).digest() * (1 + index * 37 % 400)
        files[f"{folder}/fichier-{index:03d}.bin"] = body
    files["Users/eleve/Documents/aléatoire.bin"] = os.urandom(3 * MIB + 7)
    return files


def fill_ntfs(node: str, files: dict[str, bytes]) -> None:
    sh("mkntfs", "-Q", "-q", "-L", "Windows", node)
    with tempfile.TemporaryDirectory(prefix="station-test-ntfs-") as where:
        sh("ntfs-3g", node, where)
        try:
            for name, data in files.items():
                (Path(where) / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(where) / name).write_bytes(data)
        finally:
            sh("umount", where)


def fill_ext4(node: str, files: dict[str, bytes], work: Path) -> None:
    root = work / f"ext4-{Path(node).name}"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    sh("mkfs.ext4", "-q", "-L", "linux", "-d", str(root), node)


def fill_fat(node: str, files: dict[str, bytes], work: Path) -> None:
    """This kernel has no vfat driver: mkfs.vfat, then mtools. FAT16, not the FAT12 mkfs.vfat
    picks for 8 MiB: Debian's partclone 0.3.23 restores FAT12 with a cluster missing (seen
    here: a 70 KB file differs from byte 51201; real ESPs are FAT32)."""
    sh("mkfs.vfat", "-F", "16", "-s", "1", "-n", "ESP", node)
    sh("mmd", "-i", node, "::EFI", "::EFI/Boot", "::EFI/Microsoft")
    source = work / "fat-file"
    for name, data in files.items():
        source.write_bytes(data)
        sh("mcopy", "-i", node, str(source), f"::{name}")


def build_gpt_windows_like(device: str, work: Path) -> WindowsLikeMaster:
    """GPT like a Windows laptop with a Linux beside it: ESP, MSR, NTFS, swap, ext4 (last)."""
    sh(
        "sfdisk",
        "-q",
        device,
        stdin=f"label: gpt\n,8M,U\n,4M,{MSR_TYPE}\n,32M,{NTFS_TYPE}\n,8M,S\n,,L\n",
    )
    refresh(device)
    master = WindowsLikeMaster(device, fat_part=1, swap_part=4)
    master.fat = {"EFI/Boot/bootx64.efi": os.urandom(70_001), "EFI/Microsoft/BCD": b"bcd" * 99}
    fill_fat(f"{device}p1", master.fat, work)
    master.raw[2] = os.urandom(4 * MIB)
    with open(f"{device}p2", "r+b") as handle:
        handle.write(master.raw[2])
    master.files[3] = _some_files(60, "ntfs")
    hive = software_hive(work / "SOFTWARE", product="Windows 11 Pro", edition="Professional")
    master.files[3]["Windows/System32/config/SOFTWARE"] = hive.read_bytes()
    fill_ntfs(f"{device}p3", master.files[3])
    sh("mkswap", "-U", SWAP_UUID, "-L", "swap-eleve", f"{device}p4")
    master.files[5] = {f"home/eleve/{k}": v for k, v in _some_files(40, "ext4").items()}
    fill_ext4(f"{device}p5", master.files[5], work)
    return master


def build_bios(device: str, work: Path) -> WindowsLikeMaster:
    """MBR: boot code in the MBR and a core image in the post-MBR gap; ext4, swap, NTFS."""
    sh("sfdisk", "-q", device, stdin="label: dos\n,16M,L,*\n,8M,S\n,,7\n")
    refresh(device)
    master = WindowsLikeMaster(device, swap_part=2)
    # Boot code, then the disk signature (440-443, the table's label-id) and two zero bytes
    # (444-445), which partitioning tools keep at zero, as in real MBRs.
    master.boot_code, master.gap = os.urandom(444) + bytes(2), os.urandom(2047 * 512)
    with open(device, "r+b") as handle:
        handle.write(master.boot_code)
        handle.seek(512)
        handle.write(master.gap)
    master.files[1] = {f"boot/{k}": v for k, v in _some_files(20, "boot").items()}
    fill_ext4(f"{device}p1", master.files[1], work)
    sh("mkswap", "-U", SWAP_UUID, "-L", "swap-eleve", f"{device}p2")
    master.files[3] = _some_files(50, "bios-ntfs")
    fill_ntfs(f"{device}p3", master.files[3])
    return master


def ocs_save(device: str, repo: Path, name: str, *options: str) -> Path:
    """`ocs-sr savedisk` as a workshop runs it, non-interactively."""
    repo.mkdir(parents=True, exist_ok=True)
    argv = ["ocs-sr", "-b", "-q2", "-j2", "-sfsck", "-scs", "-senc", "-nogui", "-p", "true"]
    argv += [*options, "-or", str(repo), "savedisk", name, Path(device).name]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    folder = repo / name
    assert done.returncode == 0 and (folder / "parts").is_file(), done.stdout[-2000:]
    return folder


def manifest_of(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def random_fill(device: str) -> None:
    with open(device, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(0)
        for _ in range(size // MIB):
            handle.write(os.urandom(MIB))


def _ntfs_files(node: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="station-test-ntfs-") as where:
        sh("ntfs-3g", "-o", "ro", node, where)
        try:
            return _tree(Path(where))
        finally:
            sh("umount", where)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "lost+found" not in p.parts and not p.name.startswith("$")
    }


def check_deployed(master: WindowsLikeMaster, target: str) -> None:
    """Every file, boot byte and swap identity as on the master; filesystems clean."""
    node = {n: f"{target}p{n}" for n in range(1, 8)}
    for number, files in master.files.items():
        fstype = sh("blkid", "-o", "value", "-s", "TYPE", node[number]).strip()
        if fstype == "ntfs":
            seen = _ntfs_files(node[number])
            sh("ntfsfix", "-n", node[number])
        else:
            sh("e2fsck", "-f", "-n", node[number])
            with mounted_ro(node[number]) as root:
                seen = _tree(root)
        for name, data in files.items():
            assert hashlib.sha256(seen[name]).digest() == hashlib.sha256(data).digest(), name
    if master.fat_part is not None:
        sh("fsck.vfat", "-n", node[master.fat_part])
        for name, data in master.fat.items():
            done = subprocess.run(
                ["mtype", "-i", node[master.fat_part], f"::{name}"], capture_output=True
            )
            assert done.stdout == data, name
    for number, data in master.raw.items():
        with open(node[number], "rb") as handle:
            assert handle.read(len(data)) == data, f"partition {number}"
    swap = sh("blkid", "-p", "-o", "export", node[master.swap_part])
    assert "TYPE=swap" in swap and f"UUID={SWAP_UUID}" in swap, swap
    assert "LABEL=swap-eleve" in swap, swap
    if master.boot_code:
        with open(target, "rb") as handle:
            head = handle.read(512 + len(master.gap))
        assert head[:446] == master.boot_code, [
            i for i in range(446) if head[i] != master.boot_code[i]
        ]
        assert head[512:] == master.gap
