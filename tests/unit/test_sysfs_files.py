"""inspect_target on regular files: a file is a simulated disk (real files, fake /proc)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from station.devices.safety import inspect_target
from station.domain.disk import Bus, MediaKind
from station.domain.eligibility import RefusalCode
from tests.unit.sysfs_tree import FakeHost


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    return FakeHost(tmp_path / "host").write()


def test_a_file_is_an_eligible_simulated_disk(tmp_path: Path, host: FakeHost) -> None:
    image = tmp_path / "disk.img"
    with image.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    result = inspect_target(str(image), **host.roots())
    assert result.eligibility.eligible
    assert result.identity.bus is Bus.FILE
    assert result.identity.media_kind is MediaKind.VIRTUAL
    assert result.identity.size_bytes == 64 * 1024 * 1024
    assert result.identity.slot is None


def test_an_empty_file_is_refused(tmp_path: Path, host: FakeHost) -> None:
    image = tmp_path / "empty.img"
    image.touch()
    assert inspect_target(str(image), **host.roots()).eligibility.codes == [RefusalCode.ZERO_SIZE]


def test_a_directory_is_not_a_disk(tmp_path: Path, host: FakeHost) -> None:
    result = inspect_target(str(tmp_path), **host.roots())
    assert result.eligibility.codes == [RefusalCode.NOT_A_DISK]


def test_a_character_device_is_not_a_disk(host: FakeHost) -> None:
    result = inspect_target("/dev/null", **host.roots())
    assert result.eligibility.codes == [RefusalCode.NOT_A_DISK]
    assert "neither a disk nor a file" in result.eligibility.reason_texts("en")[0]


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm on this machine")
def test_a_regular_file_under_dev_is_not_a_file_target(host: FakeHost) -> None:
    path = Path("/dev/shm") / f"station-test-{os.getpid()}.img"
    path.write_bytes(b"\0" * 4096)
    try:
        result = inspect_target(str(path), **host.roots())
    finally:
        path.unlink()
    assert result.eligibility.codes == [RefusalCode.NOT_A_DISK]
    assert "under /dev" in result.eligibility.reason_texts("en")[0]


def test_an_active_swap_file_is_refused(tmp_path: Path) -> None:
    swapfile = tmp_path / "swapfile"
    swapfile.write_bytes(b"\0" * 4096)
    host = FakeHost(tmp_path / "host")
    host.swaps.append(str(swapfile))
    host.write()
    result = inspect_target(str(swapfile), **host.roots())
    assert result.eligibility.codes == [RefusalCode.SWAP]


def test_a_file_behind_a_loop_device_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "behind-loop.img"
    image.write_bytes(b"\0" * 4096)
    host = FakeHost(tmp_path / "host")
    loop = host.disk("loop4", 7, 4, chain="virtual")
    (loop / "loop").mkdir()
    (loop / "loop" / "backing_file").write_text(f"{image}\n")
    host.write()
    result = inspect_target(str(image), **host.roots())
    assert result.eligibility.codes == [RefusalCode.HOLDERS]
    assert "loop4" in result.eligibility.reason_texts("en")[0]
