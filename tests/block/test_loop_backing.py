"""In-use signals the kernel keeps outside holders/ (issue 16, item 7), on real nested
loop devices: a loop device resting on another one, and a loop device resting on an image
file of a filesystem that was lazily unmounted (mountinfo no longer shows it). Before
the fix both backing devices were listed as eligible and the first was wiped (rc 0)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.devices.safety import inspect_target
from station.domain.eligibility import RefusalCode
from tests.conftest import REPO, LoopFactory, backing_file
from tests.wipe_helpers import MIB, fill_random, read_all

pytestmark = pytest.mark.block


def run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def attach() -> Iterator[Callable[[str], str]]:
    """losetup on something the test made (a loop device or an image file); detached in
    teardown."""
    made: list[str] = []

    def make(backing: str) -> str:
        device = run("losetup", "-f", "--show", backing)
        made.append(device)
        return device

    yield make
    for device in reversed(made):
        subprocess.run(["losetup", "-d", device], capture_output=True, check=False)


def station(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
    )  # fmt: skip


def test_a_loop_device_backing_another_is_refused_and_untouched(
    make_loop: LoopFactory, attach: Callable[[str], str]
) -> None:
    inner = make_loop(32 * MIB)
    fill_random(inner, 32 * MIB)
    before = read_all(backing_file(inner))
    outer = attach(inner)
    result = inspect_target(inner)
    assert result.eligibility.codes == [RefusalCode.BACKS_LOOP]
    assert f"{Path(outer).name}" in result.eligibility.reason_texts("fr")[0]
    # The outer device itself stays a normal target (it is what the other one serves).
    assert RefusalCode.BACKS_LOOP not in inspect_target(outer).eligibility.codes

    listed = station("disks", "--json", "--include-loop")
    assert listed.returncode == 0, listed.stderr
    disks = {d["identity"]["name"]: d for d in json.loads(listed.stdout)}
    assert disks[Path(inner).name]["eligible"] is False
    assert [r["code"] for r in disks[Path(inner).name]["reasons"]] == ["backs_loop"]

    done = station("wipe", inner, "--yes")
    assert done.returncode == 5, done.stdout + done.stderr
    assert read_all(backing_file(inner)) == before


def test_a_disk_holding_the_image_of_a_loop_device_is_refused_after_a_lazy_unmount(
    make_loop: LoopFactory, attach: Callable[[str], str], tmp_path: Path
) -> None:
    disk = make_loop(64 * MIB)
    run("mkfs.ext4", "-q", "-F", disk)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    run("mount", disk, str(mountpoint))
    image = mountpoint / "image.img"
    with image.open("wb") as handle:
        handle.truncate(8 * MIB)
    try:
        image_loop = attach(str(image))
    finally:
        # Lazy: the filesystem stays busy (the loop device holds its file) but leaves
        # mountinfo, so the mount check alone sees nothing.
        run("umount", "-l", str(mountpoint))
    result = inspect_target(disk)
    assert RefusalCode.MOUNTED not in result.eligibility.codes
    assert result.eligibility.codes == [RefusalCode.BACKS_LOOP]
    assert Path(image_loop).name in result.eligibility.reason_texts("en")[0]


def test_a_swap_file_on_the_disk_is_named(make_loop: LoopFactory, tmp_path: Path) -> None:
    """/proc/swaps names the file, not the disk it lies on: the disk is refused as swap
    (and mounted), naming that file."""
    disk = make_loop(64 * MIB)
    run("mkfs.ext4", "-q", "-F", disk)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    run("mount", disk, str(mountpoint))
    swapfile = mountpoint / "swapfile"
    try:
        with swapfile.open("wb") as handle:
            handle.write(bytes(8 * MIB))  # swapon refuses files with holes
        swapfile.chmod(0o600)
        run("mkswap", "-q", str(swapfile))
        if subprocess.run(["swapon", str(swapfile)], capture_output=True).returncode != 0:
            pytest.skip("swapon is not permitted here")
        try:
            result = inspect_target(disk)
        finally:
            run("swapoff", str(swapfile))
    finally:
        subprocess.run(["umount", str(mountpoint)], capture_output=True, check=False)
    assert RefusalCode.SWAP in result.eligibility.codes
    assert any(str(swapfile) in text for text in result.eligibility.reason_texts("en"))
