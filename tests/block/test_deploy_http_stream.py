"""Format 1 streamed from HTTP onto loop devices: written while it downloads, each frame
checked against the frame list (in the profile's manifest) before it is written, resumed
after a dropped connection, and a tampered frame refused before a byte of it lands.

The server is Station's own classroom file server on 127.0.0.1 (real HTTP, real ranges);
the dropped connection is a relay that cuts the TCP connection mid-answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from station.classroom.http_files import FileServer
from station.domain.record import HostRef
from station.imaging import frame_list
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import IMAGE_FILE, create_raw_image
from station.jobs.deploy import DeployRequest, deploy_record, run_deploy
from tests.block import imaging_support
from tests.block.imaging_support import write_profile
from tests.block.net_support import MIB, CuttingRelay, fill_pattern, make_master, sha256_of
from tests.conftest import LoopFactory, backing_file

pytestmark = pytest.mark.block

loops = imaging_support.loops
MASTER = 64 * MIB
TARGET = 96 * MIB


def published(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    master = tmp_path / "master.img"
    make_master(master, MASTER)
    made = create_raw_image(str(master), tmp_path / "mirror")
    return made.folder, made.manifest


def stream_request(
    tmp_path: Path, url: str, manifest: dict[str, str], target: str
) -> DeployRequest:
    path = write_profile(
        tmp_path, tmp_path, manifest, location=url, post_deploy={"move_backup_gpt": False}
    )
    profile, folder = load_image_profile(str(path))
    host = HostRef(asset_tag="PC-1", identified_by="asset_tag")
    return DeployRequest(
        [target], profile, profile_dir=folder, host=host, image_cache=tmp_path / "cache"
    )


def test_stream_writes_while_downloading_in_ranges(loops: LoopFactory, tmp_path: Path) -> None:
    folder, manifest = published(tmp_path)
    target = loops(TARGET, name="target", direct_io=True)
    fill_pattern(backing_file(target))
    seen: list[tuple[str, str | None]] = []
    with FileServer(folder, on_request=lambda path, rng: seen.append((path, rng))) as server:
        request = stream_request(tmp_path, f"http://127.0.0.1:{server.port}/", manifest, target)
        [report] = run_deploy(request)

    assert report.outcome == "deployed", report.reasons
    assert report.verified
    assert sha256_of(backing_file(target), MASTER) == sha256_of(tmp_path / "master.img", MASTER)
    image_asks = [rng for path, rng in seen if path == f"/{IMAGE_FILE}"]
    # First a one-byte probe (does the server answer ranges?), then one range per frame
    # holding data: 8 frames, two of them holes (never fetched).
    assert image_asks[0] == "bytes=0-0"
    assert len(image_asks) == 7 and all(rng and rng.startswith("bytes=") for rng in image_asks)
    assert not list((tmp_path / "cache").rglob(IMAGE_FILE)), "the image was cached whole"
    assert report.transport is not None
    assert report.transport["kind"] == "http_stream"
    assert report.transport["frames_verified"] == report.transport["frames_total"] == 6
    record = deploy_record(request, report)
    assert record.transport is not None and record.transport.frames_verified == 6


def test_dropped_connection_resumes_where_it_stopped(loops: LoopFactory, tmp_path: Path) -> None:
    folder, manifest = published(tmp_path)
    target = loops(TARGET, name="target", direct_io=True)
    fill_pattern(backing_file(target))
    with FileServer(folder) as server:
        relay = CuttingRelay(server.port, after=3 * MIB, cuts=2)
        try:
            [report] = run_deploy(stream_request(tmp_path, relay.url, manifest, target))
        finally:
            relay.close()

    assert relay.cuts_done == 2
    assert report.outcome == "deployed", report.reasons
    assert report.transport is not None and report.transport["http_resumed"] >= 2
    assert sha256_of(backing_file(target), MASTER) == sha256_of(tmp_path / "master.img", MASTER)


def test_tampered_frame_is_refused_before_it_is_written(loops: LoopFactory, tmp_path: Path) -> None:
    folder, manifest = published(tmp_path)
    served = tmp_path / "tampered"
    shutil.copytree(folder, served)
    frames = frame_list.load(served / FRAMES_FILE)
    bad = next(c.frame for c in frames if c.frame.offset == 40 * MIB)
    with (served / IMAGE_FILE).open("r+b") as packed:
        packed.seek(bad.packed_offset + bad.packed_size // 2)
        byte = packed.read(1)
        packed.seek(-1, 1)
        packed.write(bytes([byte[0] ^ 0xFF]))
    target = loops(TARGET, name="target", direct_io=True)
    backing = backing_file(target)
    fill_pattern(backing)
    with FileServer(served) as server:
        request = stream_request(tmp_path, f"http://127.0.0.1:{server.port}/", manifest, target)
        [report] = run_deploy(request)

    assert report.outcome == "failed"
    assert any("does not match the frame list" in r for r in report.reasons), report.reasons
    assert report.marked_not_deployed
    # Not one byte of the tampered frame reached the disk: it still holds what it held.
    assert backing.read_bytes()[bad.offset : bad.offset + bad.size] == b"\xa5" * bad.size
    # The frames before it were written as they arrived (a stream, not a download first).
    master = (tmp_path / "master.img").read_bytes()
    assert backing.read_bytes()[8 * MIB : 16 * MIB] == master[8 * MIB : 16 * MIB]
    # (the frame after it may have been checked already, never written)
    assert report.transport is not None and 3 <= report.transport["frames_verified"] < 6
