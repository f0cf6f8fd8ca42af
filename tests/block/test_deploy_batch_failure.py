"""One disk of a batch fails mid-write, for real: its loop device sits on a file in a tiny
tmpfs the test mounts itself, so the kernel refuses the writes past that tmpfs's capacity
(ENOSPC on this kernel, EIO on older ones). That disk ends `failed`, marked not deployed;
the two others end deployed and verified, each with its own signed record."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import create_raw_image
from station.jobs.deploy import DeployRequest, run_deploy
from station.journal.keys import generate_key
from station.journal.store import Journal
from tests.block import imaging_support
from tests.block.imaging_support import (
    MIB,
    all_time,
    build_master,
    limit_tmpfs,
    mounted_ro,
    tagged_hosts,
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
tiny_tmpfs = imaging_support.tiny_tmpfs


def test_one_disk_failing_mid_write_leaves_the_batch_deployed(
    tiny_tmpfs: Path, loops: LoopFactory, tmp_path: Path
) -> None:
    master = build_master(loops(MASTER, name="master"), tmp_path)
    made = create_raw_image(master.device, tmp_path / "image")
    profile, folder = load_image_profile(str(write_profile(tmp_path, made.folder, made.manifest)))
    # Room for about half the image's data: the writes that start past it are refused.
    room = (made.mapped_bytes // 2) // MIB * MIB
    limit_tmpfs(tiny_tmpfs, room)
    good = [loops(TARGET, name="good-a"), loops(TARGET, name="good-b")]
    # make_loop puts the backing file at tmp_path/<name>-<n>.img: here, on the tiny tmpfs.
    bad = loops(TARGET, name="tinyfs/failing")
    assert backing_file(bad).parent == tiny_tmpfs
    targets = [good[0], bad, good[1]]
    journal = Journal(tmp_path / "journal.sqlite3", generate_key("bench-1"))
    hosts = tagged_hosts(targets)

    reports = run_deploy(
        DeployRequest(targets, profile, profile_dir=folder, journal=journal, hosts=hosts)
    )

    by_target = {r.target: r for r in reports}
    failed = by_target[bad]
    assert failed.outcome == "failed" and not failed.verified
    assert any("write failed" in reason for reason in failed.reasons), failed.reasons
    # It failed mid-write: some of the image landed first, not all of it.
    assert 0 < failed.bytes_written < made.mapped_bytes
    assert failed.marked_not_deployed
    head = backing_file(bad).open("rb").read(MIB)
    assert head == bytes(MIB)  # no partition table left: it cannot be taken for deployed
    assert failed.post_deploy == [] and failed.licence is None
    for target in good:
        report = by_target[target]
        assert report.outcome == "deployed", report.reasons
        assert report.verified and not report.mismatched_ranges
        assert report.bytes_written == made.mapped_bytes
        with mounted_ro(f"{target}p2") as root:
            for name, data in master.root_files.items():
                assert (root / name).read_bytes() == data, name

    records = [r.body() for r in journal.records_between(*all_time())]
    assert [r["kind"] for r in records] == ["image_deploy"] * 3
    signed = {r["disk"]["path"]: r for r in records}
    assert set(signed) == set(targets)
    assert signed[bad]["outcome"] == "failed" and not signed[bad]["verified"]
    for index, target in enumerate(targets):
        assert signed[target]["host"]["asset_tag"] == f"PC-{index}"
        if target != bad:
            assert signed[target]["outcome"] == "deployed" and signed[target]["verified"]
            assert signed[target]["bytes_written"] == made.mapped_bytes
