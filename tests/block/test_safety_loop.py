"""The safety check on real loop devices: the kernel's own view of mounts, partitions and
read-only devices, read back through /sys and /proc/self/mountinfo."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.devices.boot_signals import blkid_uuids, gather_boot_signals
from station.devices.safety import inspect_target
from station.domain.boot_medium import judge_boot_medium
from station.domain.disk import Bus, MediaKind
from station.domain.eligibility import RefusalCode
from tests.conftest import LoopFactory

pytestmark = pytest.mark.block

MIB = 1024 * 1024


def run(*argv: str, stdin: str | None = None) -> None:
    subprocess.run(argv, check=True, capture_output=True, text=True, input=stdin)


@pytest.fixture
def mount_dir(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """mkfs.ext4 + mount a device made by the test; unmounted again in teardown."""
    mounted: list[Path] = []

    def mount(device: str) -> Path:
        run("mkfs.ext4", "-q", "-F", device)
        target = tmp_path / f"mnt{len(mounted)}"
        target.mkdir()
        run("mount", device, str(target))
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", str(target)], check=False, capture_output=True)


def test_an_idle_loop_device_is_eligible(make_loop: LoopFactory) -> None:
    device = make_loop(64 * MIB)
    result = inspect_target(device)
    assert result.eligibility.eligible, result.eligibility.reason_texts()
    assert result.identity.name == Path(device).name
    assert result.identity.size_bytes == 64 * MIB
    assert result.identity.bus is Bus.LOOP
    assert result.identity.media_kind is MediaKind.VIRTUAL


def test_a_read_only_loop_device_is_refused(make_loop: LoopFactory) -> None:
    result = inspect_target(make_loop(16 * MIB, read_only=True))
    assert result.eligibility.codes == [RefusalCode.READ_ONLY]


def test_a_mounted_loop_device_is_refused(
    make_loop: LoopFactory, mount_dir: Callable[[str], Path]
) -> None:
    device = make_loop(32 * MIB)
    where = mount_dir(device)
    result = inspect_target(device)
    assert result.eligibility.codes == [RefusalCode.MOUNTED]
    assert str(where) in result.eligibility.reason_texts("en")[0]


def test_a_mounted_partition_refuses_the_whole_disk(
    make_loop: LoopFactory, mount_dir: Callable[[str], Path]
) -> None:
    device = make_loop(64 * MIB)
    run(
        "sfdisk",
        "--quiet",
        "--no-reread",
        "--no-tell-kernel",
        device,
        stdin="label: dos\nstart=2048, size=32768, type=83\nstart=34816, type=83\n",
    )
    # This kernel parses no partition tables itself: tell it (docs/testing.md).
    run("partx", "-a", device)
    first = f"{device}p1"
    where: Path | None = None
    try:
        assert Path(first).exists(), "partx did not create the partition node"
        where = mount_dir(first)
        result = inspect_target(device)
        assert result.eligibility.codes == [RefusalCode.MOUNTED]
        assert f"{Path(first).name} → {where}" in result.eligibility.reason_texts("en")[0]
        # and the partition itself is not something Station erases
        partition = inspect_target(first)
        assert partition.eligibility.codes == [RefusalCode.NOT_A_DISK]
        assert inspect_target(f"{device}p2").eligibility.codes == [RefusalCode.NOT_A_DISK]
    finally:
        # Unmount before removing the partitions; mount_dir's own teardown then no-ops.
        if where is not None:
            subprocess.run(["umount", str(where)], check=False, capture_output=True)
        subprocess.run(["partx", "-d", device], check=False, capture_output=True)


def _live_proc(tmp_path: Path, marker: str) -> tuple[Path, Path]:
    """A /proc and /run of a live system whose command line carries `marker`; the root
    is an overlay, as on the live stick."""
    proc, run_dir = tmp_path / "proc", tmp_path / "run"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text("20 1 0:30 / / rw - overlay overlay rw\n")
    (proc / "swaps").write_text("Filename Type Size Used Priority\n")
    (proc / "cmdline").write_text(f"boot=live station.marker={marker} quiet\n")
    (run_dir / "live").mkdir(parents=True)
    return proc, run_dir


def test_the_disk_carrying_the_boot_marker_is_refused(
    make_loop: LoopFactory, tmp_path: Path
) -> None:
    stick, other = make_loop(16 * MIB, name="stick"), make_loop(16 * MIB, name="other")
    marker = str(uuid.uuid4())
    run("mkfs.ext4", "-q", "-F", "-U", marker, stick)
    assert marker in blkid_uuids(Path(stick).name)  # blkid reads it back for real
    proc, run_dir = _live_proc(tmp_path, marker)
    ours = {Path(stick).name, Path(other).name}

    def probe_only_ours(name: str) -> set[str]:
        return blkid_uuids(name) if name in ours else set()

    signals = gather_boot_signals(
        proc_root=proc, run_root=run_dir, root_devnum=(0, 30), uuid_fallback=probe_only_ours
    )
    boot = judge_boot_medium(signals)
    assert boot.clear, boot.unclear
    assert boot.boot_disks == {Path(stick).name}
    refused = inspect_target(stick, proc_root=proc, run_root=run_dir, boot=boot)
    assert refused.eligibility.codes == [RefusalCode.BOOT_MEDIUM]
    assert inspect_target(other, proc_root=proc, run_root=run_dir, boot=boot).eligibility.eligible


def test_a_marker_no_disk_carries_refuses_every_disk(
    make_loop: LoopFactory, tmp_path: Path
) -> None:
    device = make_loop(16 * MIB)
    run("mkfs.ext4", "-q", "-F", "-U", str(uuid.uuid4()), device)
    proc, run_dir = _live_proc(tmp_path, str(uuid.uuid4()))
    signals = gather_boot_signals(
        proc_root=proc,
        run_root=run_dir,
        root_devnum=(0, 30),
        uuid_fallback=lambda name: blkid_uuids(name) if name == Path(device).name else set(),
    )
    boot = judge_boot_medium(signals)
    result = inspect_target(device, proc_root=proc, run_root=run_dir, boot=boot)
    assert result.eligibility.codes == [RefusalCode.BOOT_MEDIUM_UNCLEAR]
