"""Format 2 end to end: save a master disk as a Clonezilla directory (sfdisk dump,
partclone images compressed with zstd and gzip, split into .aa/.ab), restore it to a
larger loop device with Station, and check the files independently."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import pytest

from station.domain.progress import ProgressEvent
from station.errors import ImageError
from station.imaging.profiles import load_image_profile
from station.jobs.deploy import DeployRequest, run_deploy
from tests.block import imaging_support
from tests.block.imaging_support import (
    MIB,
    LoopMaker,
    build_master,
    clonezilla_dir,
    fat_file,
    mounted_ro,
    partition_sectors,
    tools_reason,
    write_profile,
)
from tests.conftest import backing_file


def _reason() -> str | None:
    if shutil.which("partclone.ext4") is None or shutil.which("partclone.vfat") is None:
        return "partclone is not installed (Debian package partclone)"
    return tools_reason()


pytestmark = [pytest.mark.block, pytest.mark.skipif(bool(_reason()), reason=str(_reason()))]
loops = imaging_support.loops
MASTER, TARGET = 96 * MIB, 160 * MIB
POST = {"grow_last_partition": True, "reset_machine_id": True, "hostname_from_asset_tag": True}


def test_clonezilla_directory_restores_to_a_larger_disk(loops: LoopMaker, tmp_path: Path) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    folder = tmp_path / "cz"
    manifest = clonezilla_dir(master.device, folder, {1: "gz", 2: "zst"})
    assert any(name.endswith(".ab") for name in manifest), "the ext4 image should be split"
    path = write_profile(tmp_path, folder, manifest, format="clonezilla", post_deploy=POST)
    profile, where = load_image_profile(str(path))
    targets = [loops(TARGET, name=f"target{i}") for i in range(2)]

    reports = run_deploy(DeployRequest(targets, profile, profile_dir=where, asset_tag="PC 7"))

    for report, target in zip(reports, targets, strict=True):
        assert report.outcome == "deployed", report.reasons
        assert report.verified and report.verification == "filesystem_check"
        assert any("partclone.ext4" in c["argv"] for c in report.commands)
        sizes = partition_sectors(target)
        assert sizes[1] > master.root_sectors + 100_000  # grown by ~64 MiB
        with mounted_ro(f"{target}p2") as root:
            for name, data in master.root_files.items():
                if not name.startswith("etc/"):
                    assert (root / name).read_bytes() == data, name
            assert (root / "etc/hostname").read_text() == "pc-7\n"
            assert (root / "etc/machine-id").read_bytes() == b""
        for name, data in master.fat_files.items():
            assert fat_file(f"{target}p1", name) == data


def test_unlisted_clonezilla_file_is_refused(loops: LoopMaker, tmp_path: Path) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    folder = tmp_path / "cz"
    manifest = clonezilla_dir(master.device, folder, {})
    piece = next(name for name in manifest if name.endswith(".aa"))
    del manifest[piece]
    path = write_profile(tmp_path, folder, manifest, format="clonezilla")
    profile, where = load_image_profile(str(path))
    target = loops(TARGET, name="target")
    with pytest.raises(ImageError, match="not in the profile's manifest"):
        run_deploy(DeployRequest([target], profile, profile_dir=where))


def test_corrupt_partclone_stream_ends_failed_and_not_deployed(
    loops: LoopMaker, tmp_path: Path
) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    folder = tmp_path / "cz"
    clonezilla_dir(master.device, folder, {2: "gz"})
    piece = sorted(folder.glob("sda2.*.aa"))[0]
    data = bytearray(piece.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    piece.write_bytes(bytes(data))
    manifest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    path = write_profile(tmp_path, folder, manifest, format="clonezilla")
    profile, where = load_image_profile(str(path))
    target = loops(TARGET, name="target")
    [report] = run_deploy(DeployRequest([target], profile, profile_dir=where))
    assert report.outcome == "failed" and report.marked_not_deployed, report.reasons
    assert report.reasons[0].startswith("sda2: `partclone.ext4"), report.reasons
    assert "log" not in report.reasons[0].rsplit("(", 1)[1], report.reasons
    assert backing_file(target).read_bytes()[:MIB] == bytes(MIB)


def test_a_clonezilla_deploy_stopped_midway_is_cancelled_and_not_deployed(
    loops: LoopMaker, tmp_path: Path
) -> None:
    """The stop key during partclone's restore: the stream stops, partclone ends, the disk
    is `cancelled` (not `failed`, not `deployed`) and its tables are zeroed so it never
    boots half an image."""
    master = build_master(loops(MASTER, name="master"), tmp_path)
    folder = tmp_path / "cz"
    manifest = clonezilla_dir(master.device, folder, {1: "gz", 2: "zst"})
    path = write_profile(tmp_path, folder, manifest, format="clonezilla")
    profile, where = load_image_profile(str(path))
    target = loops(TARGET, name="target")
    stop = threading.Event()
    seen: list[int] = []

    def on_event(event: ProgressEvent) -> None:
        seen.append(event.bytes_done)
        if event.phase == "deploy" and event.bytes_done > 0:  # restoring: the stop key
            stop.set()

    [report] = run_deploy(
        DeployRequest([target], profile, profile_dir=where), on_event=on_event, cancel=stop
    )
    assert stop.is_set(), seen
    assert report.outcome == "cancelled", (report.outcome, report.reasons)
    assert report.reasons[0].startswith("sda"), report.reasons
    assert "cancelled while restoring" in report.reasons[0], report.reasons
    assert not report.verified and report.marked_not_deployed
    assert backing_file(target).read_bytes()[:MIB] == bytes(MIB)
