"""Masters saved by Clonezilla's own `ocs-sr` (split and unsplit, zstd, gzip, xz, none),
deployed with `station deploy` to a bigger and a smaller random-filled disk, checked
independently: every file's sha256, MSR bytes, boot code and post-MBR gap, swap UUID and
LABEL, ntfsfix -n / e2fsck / fsck.vfat clean. Several disks and LVM are refused with the
target untouched. Heavy (four ocs-sr runs): run under /var/lock/station-heavy.lock."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.block import imaging_support
from tests.block.imaging_support import MIB, LoopMaker, tools_reason, write_profile
from tests.block.ocs_support import (
    build_bios,
    build_gpt_windows_like,
    check_deployed,
    manifest_of,
    ocs_reason,
    ocs_save,
    random_fill,
)
from tests.conftest import backing_file

REASON = ocs_reason() or tools_reason()
pytestmark = [pytest.mark.block, pytest.mark.skipif(bool(REASON), reason=str(REASON))]
loops = imaging_support.loops
POST = {"grow_last_partition": True}


def station(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def deploy(tmp_path: Path, folder: Path, targets: list[str], name: str) -> list[dict[str, object]]:
    profile = write_profile(
        tmp_path, folder, manifest_of(folder), name=name, format="clonezilla", post_deploy=POST
    )
    out = tmp_path / f"{name}.json"
    done = station(
        tmp_path, "deploy", *targets, "--image", str(profile), "--yes", "--no-journal",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reports: list[dict[str, object]] = json.loads(out.read_text())
    for report in reports:
        assert report["outcome"] == "deployed" and report["verified"], report["reasons"]
        assert report["verification"] == "filesystem_check"
        # The console says what the JSON says was checked.
        for check in report["checks"]:  # type: ignore[attr-defined]
            assert check in done.stderr, (check, done.stderr)
    assert "verified by read-back" not in done.stderr
    return reports


def sizes(device: str) -> list[int]:
    table = json.loads(subprocess.run(
        ["sfdisk", "--json", device], capture_output=True, text=True, check=True
    ).stdout)["partitiontable"]  # fmt: skip
    return [int(p["size"]) for p in table["partitions"]]


def test_windows_like_gpt_master_saved_by_ocs_sr(loops: LoopMaker, tmp_path: Path) -> None:
    master = build_gpt_windows_like(loops(96 * MIB, name="master"), tmp_path)
    repo = tmp_path / "repo"
    split = ocs_save(master.device, repo, "gpt-split", "-z9", "-i", "1")
    unsplit = ocs_save(master.device, repo, "gpt-unsplit", "-z1", "-i", "0")
    assert any(p.name.endswith(".zst.ab") for p in split.iterdir())
    assert (split / f"{Path(master.device).name}p2.dd-ptcl-img.zst.aa").is_file()  # the MSR
    assert any(p.name.endswith("ntfs-ptcl-img.gz") for p in unsplit.iterdir())
    described = station(tmp_path, "image", "describe", str(split))
    assert described.returncode == 0, described.stderr
    assert 'edition_id: "Professional"' in described.stdout
    assert 'image_state: "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"' in described.stdout
    assert f'parts: "{manifest_of(split)["parts"]}"' in described.stdout
    for folder, name in ((split, "split"), (unsplit, "unsplit")):
        bigger, smaller = loops(128 * MIB, name="bigger"), loops(80 * MIB, name="smaller")
        for target in (bigger, smaller):
            random_fill(target)
        reports = deploy(tmp_path, folder, [bigger, smaller], f"gpt-{name}")
        assert any("shrunk" in step for step in reports[1]["post_deploy"])  # type: ignore[attr-defined]
        assert sizes(bigger)[4] > sizes(master.device)[4] > sizes(smaller)[4]
        for target in (bigger, smaller):
            check_deployed(master, target)


def test_bios_master_with_boot_code_saved_by_ocs_sr(loops: LoopMaker, tmp_path: Path) -> None:
    master = build_bios(loops(80 * MIB, name="master"), tmp_path)
    repo = tmp_path / "repo"
    split = ocs_save(master.device, repo, "bios-split", "-z5", "-i", "1")
    unsplit = ocs_save(master.device, repo, "bios-unsplit", "-z0", "-i", "0")
    disk = Path(master.device).name
    assert (split / f"{disk}-hidden-data-after-mbr").is_file()
    assert any(p.name.endswith(".xz.aa") for p in split.iterdir())
    assert any(p.name.endswith("ntfs-ptcl-img.uncomp") for p in unsplit.iterdir())
    for folder, name in ((split, "split"), (unsplit, "unsplit")):
        bigger, smaller = loops(112 * MIB, name="bigger"), loops(64 * MIB, name="smaller")
        for target in (bigger, smaller):
            random_fill(target)
        deploy(tmp_path, folder, [bigger, smaller], f"bios-{name}")
        assert sizes(bigger)[2] > sizes(master.device)[2] > sizes(smaller)[2]
        for target in (bigger, smaller):
            check_deployed(master, target)


def _refused(tmp_path: Path, folder: Path, target: str, name: str, expected: str) -> None:
    before = hashlib.sha256(backing_file(target).read_bytes()).hexdigest()
    profile = write_profile(tmp_path, folder, manifest_of(folder), name=name, format="clonezilla")
    done = station(tmp_path, "deploy", target, "--image", str(profile), "--yes", "--no-journal")
    assert done.returncode == 11, done.stderr
    assert expected in done.stderr and "nothing was written" in done.stderr, done.stderr
    assert hashlib.sha256(backing_file(target).read_bytes()).hexdigest() == before


def test_several_disks_lvm_and_too_little_room_are_refused_untouched(
    loops: LoopMaker, tmp_path: Path
) -> None:
    master = build_bios(loops(80 * MIB, name="master"), tmp_path)
    saved = ocs_save(master.device, tmp_path / "repo", "bios", "-z9", "-i", "1")
    target = loops(96 * MIB, name="target")
    random_fill(target)
    several = shutil.copytree(saved, tmp_path / "several")
    (several / "disk").write_text(f"{Path(master.device).name} sdz\n")
    _refused(tmp_path, several, target, "several", "several disks")
    lvm = shutil.copytree(saved, tmp_path / "lvm")
    (lvm / "lvm_vg_dev.list").write_text("vg_station /dev/sda2 abcdef\n")
    _refused(tmp_path, lvm, target, "lvm", "LVM")
    luks = shutil.copytree(saved, tmp_path / "luks")
    (luks / "dev-fs.list").write_text("/dev/sda3 crypto_LUKS 50G\n")
    _refused(tmp_path, luks, target, "luks", "LUKS")
    tiny = loops(28 * MIB, name="tiny")
    random_fill(tiny)
    before = hashlib.sha256(backing_file(tiny).read_bytes()).hexdigest()
    profile = write_profile(tmp_path, saved, manifest_of(saved), name="tiny", format="clonezilla")
    done = station(tmp_path, "deploy", tiny, "--image", str(profile), "--yes", "--no-journal")
    assert done.returncode == 11 and "MiB" in done.stderr and "refused" in done.stderr, done.stderr
    assert hashlib.sha256(backing_file(tiny).read_bytes()).hexdigest() == before
