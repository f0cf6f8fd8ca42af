"""Every bad input to a deploy: refused before any write (the target keeps its bytes), or,
once writing began, a `failed` outcome with the disk marked not deployed."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zstandard

from station.errors import ImageError, ProfileError, TargetRefused
from station.imaging.bmap import parse
from station.imaging.deploy_report import DeployReport
from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import (
    BMAP_FILE,
    IMAGE_FILE,
    CreatedImage,
    create_raw_image,
    file_sha256,
)
from station.jobs.deploy import DeployRequest, run_deploy
from tests.block import imaging_support
from tests.block.imaging_support import MIB, build_master, mounted_ro, tools_reason, write_profile
from tests.conftest import backing_file

pytestmark = [
    pytest.mark.block,
    pytest.mark.skipif(bool(tools_reason()), reason=str(tools_reason())),
]
loops = imaging_support.loops
MASTER = 64 * MIB


@pytest.fixture
def image(loops: imaging_support.LoopMaker, tmp_path: Path) -> CreatedImage:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    return create_raw_image(master.device, tmp_path / "image")


def filled_target(
    loops: imaging_support.LoopMaker, size: int, **kwargs: object
) -> tuple[str, bytes]:
    device = loops(size, name="target", **kwargs)
    pattern = os.urandom(4096) * (size // 4096)
    backing_file(device).write_bytes(pattern)
    return device, pattern


def deploy(
    tmp_path: Path, image_dir: Path, manifest: dict[str, str], target: str, **extra: Any
) -> list[DeployReport]:
    path = write_profile(tmp_path, image_dir, manifest, **extra)
    profile, folder = load_image_profile(str(path))
    return run_deploy(DeployRequest([target], profile, profile_dir=folder))


def test_checksum_mismatch_is_refused_before_writing(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    target, before = filled_target(loops, 96 * MIB)
    wrong = {**image.manifest, IMAGE_FILE: "0" * 64}
    with pytest.raises(ImageError, match=r"checksum mismatch for disk\.img\.zst"):
        deploy(tmp_path, image.folder, wrong, target)
    assert backing_file(target).read_bytes() == before


def test_image_larger_than_the_disk_is_refused(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    target, before = filled_target(loops, 32 * MIB)
    with pytest.raises(ImageError, match="larger than"):
        deploy(tmp_path, image.folder, image.manifest, target)
    assert backing_file(target).read_bytes() == before


def test_disk_below_the_profile_minimum_is_refused(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    target, before = filled_target(loops, 96 * MIB)
    with pytest.raises(ImageError, match="at least 128 MiB"):
        deploy(tmp_path, image.folder, image.manifest, target, min_disk_mib=128)
    assert backing_file(target).read_bytes() == before


def test_unknown_format_in_the_profile_is_a_profile_error(
    image: CreatedImage, tmp_path: Path
) -> None:
    path = write_profile(tmp_path, image.folder, image.manifest, format="vhdx")
    with pytest.raises(ProfileError, match="format"):
        load_image_profile(str(path))


def test_image_file_that_is_not_zstd_is_refused(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    target, before = filled_target(loops, 96 * MIB)
    packed = image.folder / IMAGE_FILE
    raw = unpack(packed)
    packed.write_bytes(gzip.compress(raw, compresslevel=1))
    manifest = {**image.manifest, IMAGE_FILE: file_sha256(packed)}
    with pytest.raises(ImageError, match="not a zstd stream"):
        deploy(tmp_path, image.folder, manifest, target)
    assert backing_file(target).read_bytes() == before


def test_ineligible_disk_is_refused(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    target = loops(96 * MIB, name="ro", read_only=True)
    with pytest.raises(TargetRefused):
        deploy(tmp_path, image.folder, image.manifest, target)


def unpack(packed: Path) -> bytes:
    """The whole raw image: every frame of the file, as `zstd -dc` reads it."""
    decompressor = zstandard.ZstdDecompressor()
    reader = decompressor.stream_reader(packed.read_bytes(), read_across_frames=True)
    return reader.read()


def _restamp(image: CreatedImage, raw: bytes) -> dict[str, str]:
    packed = image.folder / IMAGE_FILE
    packed.write_bytes(zstandard.ZstdCompressor(level=1).compress(raw))
    return {**image.manifest, IMAGE_FILE: file_sha256(packed)}


def test_data_corrupted_mid_stream_ends_failed_and_not_deployed(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    """The file matches the manifest (corrupted at the source), but not its block map."""
    target, _ = filled_target(loops, 96 * MIB)
    raw = bytearray(unpack(image.folder / IMAGE_FILE))
    start, end, _ = max(parse(image.folder / BMAP_FILE).spans(), key=lambda s: s[1] - s[0])
    middle = (start + end) // 2
    raw[middle : middle + 16] = b"corrupted bytes!"
    [report] = deploy(tmp_path, image.folder, _restamp(image, bytes(raw)), target)
    assert report.outcome == "failed"
    assert any("does not match its block map" in reason for reason in report.reasons)
    assert report.marked_not_deployed and not report.verified
    head = backing_file(target).read_bytes()[:MIB]
    assert head == bytes(MIB)


def test_truncated_stream_ends_failed(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    target, _ = filled_target(loops, 96 * MIB)
    packed = image.folder / IMAGE_FILE
    packed.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    manifest = {**image.manifest, IMAGE_FILE: file_sha256(packed)}
    [report] = deploy(tmp_path, image.folder, manifest, target)
    assert report.outcome == "failed" and report.marked_not_deployed
    assert any("truncated" in r or "corrupt" in r for r in report.reasons), report.reasons


def test_disk_with_a_mounted_partition_is_refused(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    work = tmp_path / "busy-work"
    work.mkdir()
    busy = build_master(loops(96 * MIB, name="busy"), work)
    before = backing_file(busy.device).read_bytes()
    with mounted_ro(f"{busy.device}p2"), pytest.raises(TargetRefused, match="mount"):
        deploy(tmp_path, image.folder, image.manifest, busy.device)
    assert backing_file(busy.device).read_bytes() == before


def test_key_pool_batch_without_asset_tags_is_refused_before_writing(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path
) -> None:
    """Each machine takes its own licence key: a batch must name each disk's machine."""
    path = write_profile(
        tmp_path, image.folder, image.manifest, name="windows-edu",
        os={"family": "windows", "name": "Windows", "version": "10"},
        licence={"policy": "key_pool", "product": "win10-pro", "pool": "refurb"},
    )  # fmt: skip
    first, before = filled_target(loops, 96 * MIB)
    second = loops(96 * MIB, name="second")
    argv = [sys.executable, "-m", "station", "deploy", first, second, "--image", str(path)]
    done = subprocess.run([*argv, "--yes", "--no-journal"], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert "give the --asset-tag of the machine of" in done.stderr
    assert backing_file(first).read_bytes() == before
    half = subprocess.run([*argv, "--asset-tag", "PC-1"], capture_output=True, text=True)
    assert half.returncode == 2 and "one --asset-tag per device" in half.stderr


def _tamper_table(image: CreatedImage, change: str) -> dict[str, str]:
    """Alter the seek table at the end of disk.img.zst (the frames themselves intact)."""
    packed = image.folder / IMAGE_FILE
    data = bytearray(packed.read_bytes())
    count = struct.unpack_from("<I", data, len(data) - 9)[0]
    first = len(data) - 9 - count * 8
    entries = [list(struct.unpack_from("<II", data, first + 8 * n)) for n in range(count)]
    assert count >= 2
    a, b = next(
        (i, j) for i in range(count) for j in range(i + 1, count)
        if entries[i][0] != entries[j][0]
    )  # fmt: skip
    if change == "compressed_size":
        entries[a][0] += 1
    elif change == "swapped_frames":  # same total: only the frame headers tell
        entries[a][0], entries[b][0] = entries[b][0], entries[a][0]
    else:  # "decompressed_size": frames are 8 MiB, the most a table entry may say
        entries[a][1] -= 4096
    for n, (packed_size, size) in enumerate(entries):
        struct.pack_into("<II", data, first + 8 * n, packed_size, size)
    packed.write_bytes(bytes(data))
    return {**image.manifest, IMAGE_FILE: file_sha256(packed)}


@pytest.mark.parametrize("change", ["compressed_size", "swapped_frames", "decompressed_size"])
def test_a_tampered_seek_table_is_refused_before_any_write(
    loops: imaging_support.LoopMaker, image: CreatedImage, tmp_path: Path, change: str
) -> None:
    """Before issue 16 the first case ended `failed, 0 B written` with the target's first
    and last MiB zeroed; now the whole structure is checked before the target is opened,
    and the target keeps every byte."""
    target, before = filled_target(loops, 96 * MIB)
    manifest = _tamper_table(image, change)
    with pytest.raises(ImageError, match="seek table"):
        deploy(tmp_path, image.folder, manifest, target)
    assert backing_file(target).read_bytes() == before
