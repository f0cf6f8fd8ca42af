"""Build real master disks for the imaging tests: GPT, a FAT and an ext4 partition holding
known files (made with mkfs.vfat + mtools and `mkfs.ext4 -d`, no mount needed), and
check deployed disks independently of Station (mount read-only, mtools, sfdisk)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from station.domain.record import HostRef
from tests.block.windows_hive import GENERALIZED, software_hive

MIB = 1024 * 1024
LoopMaker = Callable[..., str]
MACHINE_ID = "0123456789abcdef0123456789abcdef"
TOOLS = ("sfdisk", "partx", "mkfs.vfat", "mkfs.ext4", "mcopy", "sgdisk", "growpart", "resize2fs")


def tools_reason() -> str | None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    return f"imaging tools missing: {', '.join(missing)}" if missing else None


def sh(*argv: str, stdin: str | None = None) -> str:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{argv}: {done.stderr}"
    return done.stdout


def refresh(device: str) -> None:
    """The host kernel parses no tables: drop stale partitions, add the table's."""
    subprocess.run(["partx", "-d", device], capture_output=True, check=False)
    sh("partx", "-a", device)


def forget_partitions(device: str) -> None:
    # Partitions outlive `losetup -d` here; leave none behind for the next user of the loop.
    subprocess.run(["partx", "-d", device], capture_output=True, check=False)


@dataclass
class Master:
    device: str
    root_files: dict[str, bytes]
    fat_files: dict[str, bytes]
    root_sectors: int


def build_master(device: str, work: Path) -> Master:
    """GPT: p1 FAT (16 MiB, EFI type), p2 ext4 (the rest) with /etc and data files."""
    sh("sfdisk", "-q", device, stdin="label: gpt\n,16M,U\n,,L\n")
    refresh(device)
    fat_files = {"EFI/BOOT/HELLO.TXT": b"bonjour depuis la partition FAT\n"}
    sh("mkfs.vfat", "-n", "ESP", f"{device}p1")
    sh("mmd", "-i", f"{device}p1", "::EFI", "::EFI/BOOT")
    for name, data in fat_files.items():
        source = work / "fat-src"
        source.write_bytes(data)
        sh("mcopy", "-i", f"{device}p1", str(source), f"::{name}")
    root = work / "rootfs"
    root_files = {
        "etc/machine-id": (MACHINE_ID + "\n").encode(),
        "etc/hostname": b"master\n",
        "home/eleve/lisezmoi.txt": "Écrit par le test d'image.\n".encode(),
        "opt/data.bin": hashlib.sha256(b"seed").digest() * (3 * MIB // 32),
        "opt/random.bin": os.urandom(2 * MIB + 123),
    }
    for name, data in root_files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    sh("mkfs.ext4", "-q", "-L", "root", "-d", str(root), f"{device}p2")
    return Master(device, root_files, fat_files, partition_sectors(device)[1])


def partition_sectors(device: str) -> list[int]:
    table = json.loads(sh("sfdisk", "--json", device))["partitiontable"]
    return [int(p["size"]) for p in table["partitions"]]


@contextmanager
def mounted_ro(node: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="station-test-") as where:
        sh("mount", "-o", "ro", node, where)
        try:
            yield Path(where)
        finally:
            sh("umount", where)


def fat_file(node: str, name: str) -> bytes:
    done = subprocess.run(["mtype", "-i", node, f"::{name}"], capture_output=True, check=True)
    return done.stdout


def write_profile(
    folder: Path,
    image_dir: Path,
    manifest: dict[str, str],
    name: str = "test-image",
    **extra: object,
) -> Path:
    profile = {
        "schema_version": 1,
        "name": name,
        "title": {"fr": "Image de test", "en": "Test image"},
        "os": {"family": "linux", "name": "Debian", "version": "12"},
        "software": ["test files"],
        "format": "station-raw-zstd",
        "location": str(image_dir),
        "manifest": manifest,
        **extra,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def loops(make_loop: Callable[..., str]) -> Iterator[Callable[..., str]]:
    """make_loop, and the partitions of each device are dropped before it is detached."""
    made: list[str] = []

    def factory(size: int, **kwargs: object) -> str:
        made.append(make_loop(size, **kwargs))
        return made[-1]

    yield factory
    for device in made:
        forget_partitions(device)


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A folder under tmp_path on its own tmpfs; its size is set by `limit_tmpfs`.

    Listed before `loops` in a test so that it is unmounted after the loop devices over it
    are detached (fixtures are torn down in reverse order)."""
    where = tmp_path / "tinyfs"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "station-test", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def limit_tmpfs(where: Path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(where)], check=True)


def tagged_hosts(targets: list[str]) -> dict[str, HostRef]:
    """One machine per target disk, named by asset tags PC-0, PC-1..."""
    return {
        target: HostRef(asset_tag=f"PC-{index}", identified_by="asset_tag")
        for index, target in enumerate(targets)
    }


def clonezilla_dir(device: str, out: Path, compressions: dict[int, str]) -> dict[str, str]:
    """Save `device` the way Clonezilla does (sfdisk dump, partclone images split into
    .aa/.ab pieces); returns the manifest {file: sha256}."""
    out.mkdir(parents=True)
    table = json.loads(sh("sfdisk", "--json", device))["partitiontable"]
    parts = []
    (out / "sda-pt.sf").write_text(sh("sfdisk", "--dump", device))
    for entry in table["partitions"]:
        number = int(entry["node"].rsplit("p", 1)[1])
        fstype = sh("blkid", "-o", "value", "-s", "TYPE", entry["node"]).strip()
        comp = compressions.get(number, "zst")
        packer = ["zstd", "-q", "-c"] if comp == "zst" else ["gzip", "-1", "-c"]
        prefix = out / f"sda{number}.{fstype}-ptcl-img.{comp}."
        script = (
            f'partclone.{fstype} -c -q -L /dev/null -s "$1" -o - | {" ".join(packer)} '
            f'| split -b 512K -a 2 - "$2"'
        )
        subprocess.run(["sh", "-c", script, "sh", entry["node"], str(prefix)], check=True)
        parts.append(f"sda{number}")
    (out / "disk").write_text("sda\n")
    (out / "parts").write_text(" ".join(parts) + "\n")
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.iterdir())}


ANSWER_TEMPLATE = """<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <settings pass="windowsPE">
    <component name="Microsoft-Windows-Setup">
      <UserData><ProductKey><Key>AAAAA-AAAAA-AAAAA-AAAAA-AAAAA</Key></ProductKey></UserData>
    </component>
  </settings>
</unattend>
"""


def build_windows_master(
    device: str,
    *,
    with_windows: bool = True,
    state: str | None = GENERALIZED,
    edition: str = "Professional",
    key_type: str | None = None,
    version: str | None = None,
) -> None:
    """GPT: p1 FAT ESP, p2 NTFS with Windows/Panther/unattend.xml and a registry SOFTWARE
    hive saying `edition`, ImageState `state` (none when None) and, when given, the
    installed key's type and the Windows version, via mkntfs + ntfs-3g."""
    sh("sfdisk", "-q", device, stdin="label: gpt\n,16M,U\n,,EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n")
    refresh(device)
    sh("mkfs.vfat", "-n", "ESP", f"{device}p1")
    sh("mkntfs", "-Q", "-q", "-L", "Windows", f"{device}p2")
    with tempfile.TemporaryDirectory(prefix="station-test-ntfs-") as where:
        sh("ntfs-3g", f"{device}p2", where)
        try:
            root = Path(where) / ("Windows" if with_windows else "Data")
            (root / "Panther").mkdir(parents=True)
            (root / "Panther" / "unattend.xml").write_text(ANSWER_TEMPLATE)
            (root / "System32.txt").write_text("pas un vrai Windows\n")
            if state is not None:
                (root / "System32" / "config").mkdir(parents=True)
                software_hive(
                    root / "System32/config/SOFTWARE", edition=edition, state=state,
                    key_type=key_type, version=version,
                )  # fmt: skip
        finally:
            sh("umount", where)


def read_ntfs_file(node: str, name: str) -> str:
    with tempfile.TemporaryDirectory(prefix="station-test-ntfs-") as where:
        sh("ntfs-3g", "-o", "ro", node, where)
        try:
            with (Path(where) / name).open(encoding="utf-8", newline="") as handle:
                return handle.read()  # line ends as written (CRLF in .cmd files)
        finally:
            sh("umount", where)


def msdm_table(key: str) -> bytes:
    """An ACPI MSDM table as firmware carries it: 36-byte header, 20 bytes, the key."""
    data = key.encode()
    body = (1).to_bytes(4, "little") + bytes(4) + (1).to_bytes(4, "little") + bytes(4)
    body += len(data).to_bytes(4, "little") + data
    header = b"MSDM" + (36 + len(body)).to_bytes(4, "little") + bytes(28)
    return header + body


@contextmanager
def serve_folder(folder: Path) -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 (random port) serving `folder`; yields its URL and
    the list of paths requested so far."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            requested.append(self.path)

    handler = functools.partial(Handler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", requested
    finally:
        server.shutdown()
        server.server_close()


def all_time() -> tuple[datetime, datetime]:
    """A range that holds every record a test wrote (for Journal.records_between)."""
    return datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
