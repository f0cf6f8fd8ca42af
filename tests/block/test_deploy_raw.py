"""Format 1 end to end on loop devices: make a master disk, image it, deploy it to a larger
disk, and check the result independently (mount read-only, mtools, sfdisk)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from station.devices.blockio import BlockTarget
from station.domain.progress import ProgressEvent
from station.imaging import zeroing
from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE, create_raw_image
from station.jobs.deploy import DeployRequest, run_deploy
from tests.block import imaging_support
from tests.block.imaging_support import (
    MIB,
    build_master,
    fat_file,
    mounted_ro,
    partition_sectors,
    serve_folder,
    tools_reason,
    write_profile,
)
from tests.conftest import LoopFactory, backing_file

pytestmark = [
    pytest.mark.block,
    pytest.mark.skipif(bool(tools_reason()), reason=str(tools_reason())),
]

MASTER = 96 * MIB
TARGET = 160 * MIB


loops = imaging_support.loops


POST = {
    "grow_last_partition": True,
    "reset_machine_id": True,
    "hostname_from_asset_tag": True,
}


def test_raw_image_deploys_to_a_larger_disk(loops: LoopFactory, tmp_path: Path) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    made = create_raw_image(master.device, tmp_path / "image")
    assert made.image_size == MASTER and 0 < made.mapped_bytes < MASTER
    path = write_profile(tmp_path, made.folder, made.manifest, post_deploy=POST)
    profile, folder = load_image_profile(str(path))
    target = loops(TARGET, name="target", direct_io=True)

    [report] = run_deploy(
        DeployRequest([target], profile, profile_dir=folder, asset_tag="EPN 2026/0042")
    )

    assert report.outcome == "deployed", report.reasons
    assert report.verified and not report.mismatched_ranges
    assert report.bytes_written == made.mapped_bytes
    assert report.unmapped_bytes_zeroed == MASTER - made.mapped_bytes
    assert "moved the backup GPT to the end of the disk" in report.post_deploy
    sizes = partition_sectors(target)
    assert sizes[0] == partition_sectors(master.device)[0]
    assert sizes[1] > master.root_sectors + (TARGET - MASTER) // 512 - 4096
    with mounted_ro(f"{target}p2") as root:
        for name, data in master.root_files.items():
            if name.startswith("etc/"):
                continue
            assert (root / name).read_bytes() == data, name
        assert (root / "etc/machine-id").read_bytes() == b""
        assert (root / "etc/hostname").read_text() == "epn-2026-0042\n"
        statvfs = __import__("os").statvfs(root)
        assert statvfs.f_blocks * statvfs.f_frsize > (MASTER + 32 * MIB)
    for name, data in master.fat_files.items():
        assert fat_file(f"{target}p1", name) == data
    # The master itself was only read.
    assert partition_sectors(master.device)[1] == master.root_sectors


def test_batch_writes_the_same_image_to_three_disks(loops: LoopFactory, tmp_path: Path) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    made = create_raw_image(master.device, tmp_path / "image")
    path = write_profile(tmp_path, made.folder, made.manifest)
    profile, folder = load_image_profile(str(path))
    targets = [loops(TARGET, name=f"batch{i}") for i in range(3)]
    events: list[ProgressEvent] = []
    reports = run_deploy(
        DeployRequest(targets, profile, profile_dir=folder), on_event=events.append
    )
    assert [r.outcome for r in reports] == ["deployed"] * 3, [r.reasons for r in reports]
    phases = {e.phase for e in events}
    assert phases == {"deploy", "verify"}
    last = [e for e in events if e.phase == "deploy"][-1]
    assert last.bytes_done == last.bytes_total == MASTER and last.eta_s == 0.0
    source = backing_file(master.device).read_bytes()
    for target in targets:
        data = backing_file(target).read_bytes()
        # Byte-identical except the MBR and GPT headers, which sgdisk -e rewrote for
        # the larger disk (the partition entries from LBA 2 on are untouched).
        assert data[1024 : MASTER - MIB] == source[1024 : MASTER - MIB]
        with mounted_ro(f"{target}p2") as root:
            assert (root / "opt/random.bin").read_bytes() == master.root_files["opt/random.bin"]


def station(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_cli_after_a_zero_verified_wipe_skips_zeros_and_says_so(
    loops: LoopFactory, tmp_path: Path
) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}
    made = station("image", "create", master.device, str(tmp_path / "image"), env=env)
    assert made.returncode == 0, made.stderr
    manifest = yaml.safe_load(made.stdout)["manifest"]
    path = write_profile(tmp_path, tmp_path / "image", manifest)
    target = loops(TARGET, name="target")
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}  # with the new loop
    backing_file(target).write_bytes(os.urandom(MIB) * (TARGET // MIB))
    wiped = station(
        "wipe",
        target,
        "--profile",
        "nist-clear-full",
        "--yes",
        "--json",
        str(tmp_path / "wipe.json"),
        env=env,
    )
    assert wiped.returncode == 0, wiped.stderr
    done = station(
        "deploy",
        target,
        "--image",
        str(path),
        "--after-wipe",
        str(tmp_path / "wipe.json"),
        "--yes",
        "--json",
        str(tmp_path / "d.json"),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    [report] = json.loads((tmp_path / "d.json").read_text())
    assert report["outcome"] == "deployed" and report["verified"]
    assert report["zero_bytes_skipped"] > TARGET // 4 - MIB  # the unmapped space, at least
    assert report["unmapped_bytes_zeroed"] == 0
    assert report["bytes_written"] + report["zero_bytes_skipped"] == report["image_size"]
    assert "verified zeros" in report["zero_skip_basis"] and "of zeros skipped" in done.stderr
    with mounted_ro(f"{target}p2") as root:
        assert (root / "opt/data.bin").read_bytes() == master.root_files["opt/data.bin"]
    export = station("journal", "export", str(tmp_path / "chain.jsonl"), env=env)
    assert export.returncode == 0, export.stderr
    lines = (tmp_path / "chain.jsonl").read_text().splitlines()
    bodies = [json.loads(base64.b64decode(json.loads(line)["payload"])) for line in lines]
    [deployed] = [b for b in bodies if b["kind"] == "image_deploy"]
    assert deployed["outcome"] == "deployed"
    assert deployed["zero_bytes_skipped"] == report["zero_bytes_skipped"]
    # Issue 15: on a French bench (LANG), the same command speaks French.
    french = {**env, "LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "STATION_LANG": ""}
    again = station("deploy", target, "--image", str(path), "--yes", env=french)
    assert again.returncode == 0, again.stderr
    assert "disque : " in again.stderr and "n° de série" in again.stderr
    assert ": déployée, " in again.stderr and "vérifié par relecture" in again.stderr
    assert "written" not in again.stderr and "target:" not in again.stderr
    assert deployed["zero_skip_basis"] == report["zero_skip_basis"]
    # One disk, no --bench-dock: this machine's SMBIOS names the host, or the record and
    # the report say it could not (a VM or a container has no DMI).
    host = deployed["host"]
    assert report["host"] == {k: v for k, v in host.items() if v is not None}
    if host["identified_by"] == "smbios":
        assert host["serial"] or host["uuid"]
    else:
        assert host["identified_by"] == "none" and "SMBIOS" in report["host_note"]
        assert report["host_note"] in done.stderr


def test_bmaptool_reads_our_block_map(loops: LoopFactory, tmp_path: Path) -> None:
    """Format 1 is bmaptool's format: `bmaptool copy` checks every range's sha256 and
    writes the same disk."""
    if shutil.which("bmaptool") is None:
        pytest.skip("bmaptool is not installed (Debian package bmap-tools)")
    master = build_master(loops(MASTER, name="master"), tmp_path)
    made = create_raw_image(master.device, tmp_path / "image")
    copy = tmp_path / "copy.img"
    done = subprocess.run(
        [
            "bmaptool",
            "copy",
            "--bmap",
            str(made.folder / BMAP_FILE),
            str(made.folder / IMAGE_FILE),
            str(copy),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert copy.read_bytes() == backing_file(master.device).read_bytes()


def test_image_from_an_http_mirror_deploys(loops: LoopFactory, tmp_path: Path) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    made = create_raw_image(master.device, tmp_path / "image")
    target = loops(TARGET, name="target")
    with serve_folder(made.folder) as (url, requested):
        path = write_profile(tmp_path, made.folder, made.manifest)
        path.write_text(path.read_text().replace(f"location: {made.folder}", f"location: {url}"))
        profile, folder = load_image_profile(str(path))
        assert profile.location == url
        request = DeployRequest([target], profile, profile_dir=folder, image_cache=tmp_path / "c")
        [report] = run_deploy(request)
    assert report.outcome == "deployed", report.reasons
    # Python's http.server answers no byte range: the image is cached whole, as before.
    assert sorted(requested) == ["/disk.bmap", "/disk.frames", "/disk.img.zst", "/disk.img.zst"]
    assert report.transport is None
    with mounted_ro(f"{target}p2") as root:
        assert (root / "opt/random.bin").read_bytes() == master.root_files["opt/random.bin"]


@pytest.mark.parametrize("device_command", [True, False], ids=["punch-hole", "blkzeroout"])
def test_unmapped_range_is_zeroed_on_a_loop_device(
    loops: LoopFactory, monkeypatch: pytest.MonkeyPatch, device_command: bool
) -> None:
    """fallocate(PUNCH_HOLE) first; a device without a cheap zeroing command: BLKZEROOUT."""
    punched: list[bool] = []
    real = zeroing.punch_zeros

    def punch(fd: int, offset: int, length: int) -> bool:
        punched.append(device_command and real(fd, offset, length))
        return punched[-1]

    monkeypatch.setattr(zeroing, "punch_zeros", punch)
    device = loops(16 * MIB, name="zeroing")
    pattern = os.urandom(16 * MIB)
    backing_file(device).write_bytes(pattern)
    with BlockTarget.open(device, write=True) as target:
        zeroing.zero_range(target, 4096, 12 * MIB - 4096)
        target.flush()
    after = backing_file(device).read_bytes()
    assert after[:4096] == pattern[:4096]
    assert after[4096 : 12 * MIB] == bytes(12 * MIB - 4096)
    assert after[12 * MIB :] == pattern[12 * MIB :]
    assert punched == [device_command]  # the loop device punches holes in its file
