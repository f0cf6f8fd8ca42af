"""The stick's data partition is FAT (readable from any PC): the bench key and the
journal must be creatable there, though FAT has no hard links and no permissions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from tests.conftest import LoopFactory

pytestmark = [
    pytest.mark.block,
    pytest.mark.skipif(
        "vfat" not in Path("/proc/filesystems").read_text(),
        reason="this kernel has no vfat driver (the live tier mounts the stick's FAT for real)",
    ),
]


def test_bench_key_and_journal_on_a_fat_partition(make_loop: LoopFactory, tmp_path: Path) -> None:
    device = make_loop(64 * 1024 * 1024, name="stick-data")
    subprocess.run(["mkfs.vfat", "-n", "STATION", device], check=True, capture_output=True)
    mountpoint = tmp_path / "data"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "vfat", device, str(mountpoint)], check=True)
    try:
        key = load_or_create_bench_key(mountpoint / "keys")
        again = load_or_create_bench_key(mountpoint / "keys")
        assert again.bench_id == key.bench_id  # the same key is read back, not a new one
        with Journal(mountpoint / "journal.sqlite3", key) as journal:
            stored = journal.append(sample_body("disk_seen"))
            assert journal.get(stored.record_id) is not None
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)
