"""Shared fixtures, and the guard that keeps every test away from the host's disks.

Tests only touch loop devices they made (docs/testing.md). Two layers enforce it:
- STATION_DEVICE_ALLOWLIST lists the loop devices this test run created; Station's own
  block I/O refuses any other /dev path while it is set (subprocesses inherit it);
- os.open is wrapped so that test code itself cannot open another /dev node for writing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ALLOWLIST_ENV = "STATION_DEVICE_ALLOWLIST"

# The command line speaks the locale's language (LANG=fr_FR.UTF-8 gives French): the
# tests that read its messages in English must not depend on the developer's locale.
# Tests of the French messages set LANG themselves.
os.environ["LANG"] = "C.UTF-8"
for _name in ("LC_ALL", "LC_MESSAGES", "STATION_LANG"):
    os.environ.pop(_name, None)
REPO = Path(__file__).resolve().parent.parent
_HARMLESS = (
    "/dev/null",
    "/dev/zero",
    "/dev/urandom",
    "/dev/random",
    "/dev/loop-control",
    "/dev/pts/",
    "/dev/shm/",
    "/dev/fd/",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/kvm",
)

os.environ[ALLOWLIST_ENV] = ""
# The TUI tests run the simulated bench (made-up identities for the loop devices they make).
os.environ["STATION_SIMULATED_BENCH"] = "1"
# Journals, bench keys and checkpoints of the run go to a throwaway folder, never to the
# host's /var/lib/station; a test that needs its own sets STATION_DATA_DIR itself.
os.environ["STATION_DATA_DIR"] = tempfile.mkdtemp(prefix="station-test-data-")


def allowed_devices() -> list[str]:
    return [p for p in os.environ.get(ALLOWLIST_ENV, "").split(":") if p]


def _allow(path: str) -> None:
    os.environ[ALLOWLIST_ENV] = ":".join([*allowed_devices(), path])


def _disallow(path: str) -> None:
    os.environ[ALLOWLIST_ENV] = ":".join(p for p in allowed_devices() if p != path)


def _guarded(path_like: object) -> bool:
    path = os.fsdecode(path_like) if isinstance(path_like, str | bytes | os.PathLike) else ""
    if not path.startswith("/dev/") or path.startswith(_HARMLESS):
        return False
    allowed = allowed_devices()
    return not any(path == dev or path.startswith(dev + "p") for dev in allowed)


_real_open = os.open


def _guarded_open(path: object, flags: int, *args: object, **kwargs: object) -> int:
    if flags & (os.O_WRONLY | os.O_RDWR) and _guarded(path):
        raise PermissionError(f"test guard: {path} is not a loop device made by this test")
    return _real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]


os.open = _guarded_open  # type: ignore[assignment]


def block_tier_reason() -> str | None:
    """Why the block tier cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "block tier needs root (loop devices)"
    if not Path("/dev/loop-control").exists() or shutil.which("losetup") is None:
        return "block tier needs loop devices (/dev/loop-control, losetup)"
    return None


LoopFactory = Callable[..., str]


@pytest.fixture
def make_loop(tmp_path: Path) -> Iterator[LoopFactory]:
    """Create loop devices over sparse files in tmp_path; they are detached afterwards."""
    reason = block_tier_reason()
    if reason:
        pytest.skip(reason)
    made: list[str] = []

    def factory(
        size: int, *, direct_io: bool = False, name: str = "disk", read_only: bool = False
    ) -> str:
        backing = tmp_path / f"{name}-{len(made)}.img"
        with backing.open("wb") as handle:
            handle.truncate(size)
        argv = ["losetup", "-f", "--show", f"--direct-io={'on' if direct_io else 'off'}"]
        if read_only:
            argv.append("--read-only")
        device = subprocess.run(
            [*argv, str(backing)], check=True, capture_output=True, text=True
        ).stdout.strip()
        assert device.startswith("/dev/loop"), device
        made.append(device)
        _allow(device)
        return device

    yield factory
    for device in made:
        _disallow(device)
        # This kernel keeps a loop device's partitions after `losetup -d`; the next test
        # to get the same device would see them, so drop them first.
        subprocess.run(["partx", "-d", device], capture_output=True)
        for _ in range(20):
            if subprocess.run(["losetup", "-d", device], capture_output=True).returncode == 0:
                break
            subprocess.run(["sleep", "0.1"])


def backing_file(device: str) -> Path:
    """The file behind a loop device, to check its bytes independently of Station."""
    name = Path(device).name
    return Path((Path("/sys/block") / name / "loop" / "backing_file").read_text().strip())
