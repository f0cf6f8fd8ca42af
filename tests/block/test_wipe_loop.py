"""The wipe engine on real kernel block devices: loop devices over sparse files, O_DIRECT,
real pwrite/pread; every byte is then checked through the backing file, independently."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from station.domain.results import Result
from station.domain.wipe_report import WipeReport
from station.jobs.checkpoint import CheckpointStore
from station.jobs.profiles import load_wipe_profile
from station.jobs.wipe import WipeRequest, reverify, run_wipe
from tests.conftest import LoopFactory, backing_file
from tests.wipe_helpers import MIB, expected_bytes, fill_random, read_all

pytestmark = pytest.mark.block
SIZE = 256 * MIB


def station(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def wait_for_checkpoint(folder: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.exists() and any(folder.glob("*.json")):
            return
        time.sleep(0.005)


@pytest.mark.parametrize("name", ["nist-clear", "random-clear", "flash-clear"])
def test_wipe_every_byte_of_a_loop_device(make_loop: LoopFactory, name: str) -> None:
    device = make_loop(SIZE, direct_io=True)
    before = fill_random(device, SIZE)
    report = run_wipe(WipeRequest(device, load_wipe_profile(name)))
    assert report.result is Result.CLEARED, report.reasons
    assert report.target.kind == "block_device" and report.target.direct_io
    assert report.target.size_bytes == SIZE
    data = read_all(backing_file(device))
    assert data == expected_bytes(report, SIZE)
    assert before != hashlib.sha256(data).hexdigest()


def test_cli_wipe_writes_a_json_result(make_loop: LoopFactory, tmp_path: Path) -> None:
    device = make_loop(SIZE)
    fill_random(device, SIZE)
    out = tmp_path / "result.json"
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}
    done = station(
        "wipe", device, "--profile", "nist-clear-full", "--yes", "--json", str(out), env=env
    )
    assert done.returncode == 0, done.stderr
    report = WipeReport.model_validate_json(out.read_text())
    assert report.result is Result.CLEARED
    assert report.verification is not None and report.verification.coverage_percent == 100.0
    assert "result: cleared" in done.stderr and "pass 1/1" in done.stderr
    assert len(report.record_ids) == 3 and "journal: 3 signed records" in done.stderr
    check = station("journal", "check", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert read_all(backing_file(device)) == bytes(SIZE)


def test_sampled_verification_catches_a_range_corrupted_afterwards(make_loop: LoopFactory) -> None:
    device = make_loop(SIZE, direct_io=True)
    fill_random(device, SIZE)
    report = run_wipe(WipeRequest(device, load_wipe_profile("random-clear")))
    assert report.result is Result.CLEARED and report.verification is not None
    assert report.verification.mode == "sampled" and report.verification.coverage_percent >= 10
    # Corrupt one sector inside the middle of the device, in a range the recorded seed samples.
    again = reverify(device, report)
    assert not again.mismatches
    from station.domain.sampling import sampled_extents

    extents = sampled_extents(
        SIZE, 4096, bytes.fromhex(report.verification.seed_hex or ""), 1000, 5.0
    )
    target = extents[len(extents) // 2]
    fd = os.open(device, os.O_WRONLY)
    os.pwrite(fd, b"\xee" * 512, target.offset + 4096)
    os.fsync(fd)
    os.close(fd)
    caught = reverify(device, report)
    assert [(m.offset, m.length) for m in caught.mismatches] == [(target.offset + 4096, 512)]


def test_resume_after_kill_9_mid_pass(make_loop: LoopFactory, tmp_path: Path) -> None:
    device = make_loop(1024 * MIB, direct_io=True)
    fill_random(device, 1024 * MIB)
    profile = tmp_path / "slow-resume.yaml"
    profile.write_text(
        "schema_version: 1\nname: slow-resume\ntitle: {fr: t, en: t}\ndescription: {fr: t, en: t}\n"
        "passes: [{pattern: random}, {pattern: zeros}]\nverification: {mode: sampled}\n"
        "checkpoint_every_mib: 16\n"
    )
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}
    checkpoints = tmp_path / "data" / "checkpoints"
    child = subprocess.Popen(
        [sys.executable, "-m", "station", "wipe", device, "--profile", str(profile), "--yes"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_checkpoint(checkpoints)
    child.send_signal(signal.SIGKILL)
    child.wait()
    saved = CheckpointStore(checkpoints)
    files = list(checkpoints.glob("*.json"))
    assert files, "the wipe was killed before its first checkpoint"
    out = tmp_path / "resumed.json"
    done = station("wipe", device, "--profile", str(profile), "--yes", "--json", str(out), env=env)
    assert done.returncode == 0, done.stderr
    report = WipeReport.model_validate_json(out.read_text())
    assert report.resumed and report.result is Result.CLEARED
    assert any(p.resumed_from for p in report.passes)
    assert "(resumed)" in done.stderr
    assert read_all(backing_file(device)) == bytes(1024 * MIB)
    assert not list(checkpoints.glob("*.json")), saved


def test_cancel_with_sigint_keeps_a_resume_point(make_loop: LoopFactory, tmp_path: Path) -> None:
    device = make_loop(1024 * MIB, direct_io=True)
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "cancelled.json"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "station",
            "wipe",
            device,
            "--profile",
            "random-clear",
            "--yes",
            "--json",
            str(out),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    checkpoints = tmp_path / "data" / "checkpoints"
    wait_for_checkpoint(checkpoints)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    report = WipeReport.model_validate_json(out.read_text())
    if report.stopped is None:
        pytest.skip("the wipe finished before SIGINT arrived; nothing to cancel")
    assert child.returncode == 130, err
    assert report.stopped == "cancelled" and report.result is Result.FAILED
    assert any(checkpoints.glob("*.json"))


def test_a_mounted_loop_device_is_refused_and_untouched(
    make_loop: LoopFactory, tmp_path: Path
) -> None:
    device = make_loop(64 * MIB)
    subprocess.run(["mkfs.ext4", "-q", "-F", device], check=True)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    subprocess.run(["mount", device, str(mountpoint)], check=True)
    try:
        (mountpoint / "marker").write_bytes(b"still here")
        done = station("wipe", device, "--yes")
        assert done.returncode == 5, done.stderr
        assert "refused" in done.stderr and "mounted" in done.stderr.lower()
        assert len(done.stderr.strip().splitlines()) == 1
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)
    # The filesystem itself rewrites its superblock on umount, so check what Station
    # would have destroyed: a clean filesystem that still holds the file.
    assert subprocess.run(["e2fsck", "-fn", device], capture_output=True).returncode == 0
    subprocess.run(["mount", "-o", "ro", device, str(mountpoint)], check=True)
    try:
        assert (mountpoint / "marker").read_bytes() == b"still here"
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def test_a_refusal_is_said_in_french_on_a_french_bench(make_loop: LoopFactory) -> None:
    """Issue 15: LANG=fr_FR.UTF-8 gives the safety checks' reasons in French."""
    device = make_loop(8 * MIB, read_only=True)
    env = {**os.environ, "LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    env.pop("STATION_LANG", None)
    done = station("wipe", device, "--yes", env=env)
    assert done.returncode == 5, done.stderr
    assert f"{device} refusé :" in done.stderr and "lecture seule" in done.stderr
    assert "refused" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_device_claimed_by_another_holder_is_refused(make_loop: LoopFactory) -> None:
    """md and dm claim their members with an exclusive open; the kernel then refuses ours.

    The host kernel has neither md nor dm, so the claim is made the same way they make it
    (O_EXCL on the block device); the VM tier shows a real device-mapper holder."""
    device = make_loop(64 * MIB)
    fill_random(device, 64 * MIB)
    before = read_all(backing_file(device))
    claim = os.open(device, os.O_RDONLY | os.O_EXCL)
    try:
        done = station("wipe", device, "--yes")
        assert done.returncode == 5, done.stderr
        assert "in use" in done.stderr
    finally:
        os.close(claim)
    assert read_all(backing_file(device)) == before


def test_a_read_only_loop_device_is_refused(make_loop: LoopFactory) -> None:
    device = make_loop(64 * MIB, read_only=True)
    done = station("wipe", device, "--yes")
    assert done.returncode == 5, done.stderr
    assert "read-only" in done.stderr.lower()


def test_a_device_outside_the_allowlist_is_refused(make_loop: LoopFactory) -> None:
    device = make_loop(64 * MIB)
    env = {**os.environ, "STATION_DEVICE_ALLOWLIST": "/dev/loop-none"}
    done = station("wipe", device, "--yes", env=env)
    assert done.returncode == 5 and "not in STATION_DEVICE_ALLOWLIST" in done.stderr


def test_without_yes_and_without_a_terminal_nothing_is_written(make_loop: LoopFactory) -> None:
    device = make_loop(64 * MIB)
    fill_random(device, 64 * MIB)
    before = read_all(backing_file(device))
    done = subprocess.run(
        [sys.executable, "-m", "station", "wipe", device],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2 and "--yes" in done.stderr
    assert read_all(backing_file(device)) == before


def test_result_json_is_valid_json_with_times(make_loop: LoopFactory, tmp_path: Path) -> None:
    device = make_loop(32 * MIB)
    out = tmp_path / "r.json"
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data")}
    assert station("wipe", device, "--yes", "--json", str(out), env=env).returncode == 0
    data = json.loads(out.read_text())
    assert data["schema_id"] == "station.wipe-report/1"
    assert data["started_at"] and data["ended_at"] and data["duration_s"] >= 0
    assert data["verification"]["mode"] == "full"  # 32 MiB is below the sampling threshold
    assert data["verification"]["reason"]
