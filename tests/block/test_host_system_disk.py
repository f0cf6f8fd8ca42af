"""The host's own system disk is classified, never written (issue 16, item 12).

The disk holding "/" is found independently of Station (stat("/").st_dev through
/sys/dev/block), then Station's safety check and `station disks` must both refuse it
as the system disk. Nothing here ever runs a wipe: the test only inspects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from station.devices.safety import inspect_target
from station.domain.eligibility import RefusalCode
from tests.conftest import REPO

pytestmark = pytest.mark.block


def root_disk() -> str | None:
    """The whole disk under "/", or None when "/" is not on a block device here."""
    number = os.stat("/").st_dev
    if os.major(number) == 0:  # overlay, tmpfs, ...: no block device to classify
        return None
    node = Path(f"/sys/dev/block/{os.major(number)}:{os.minor(number)}").resolve()
    return node.parent.name if (node / "partition").exists() else node.name


def test_the_host_system_disk_is_refused_and_never_touched() -> None:
    disk = root_disk()
    if disk is None or not Path(f"/dev/{disk}").exists():
        pytest.skip("the root filesystem of this host is not on a block device")
    result = inspect_target(f"/dev/{disk}")
    assert not result.eligibility.eligible
    assert RefusalCode.SYSTEM_DISK in result.eligibility.codes, result.eligibility.codes
    listed = subprocess.run(
        [sys.executable, "-m", "station", "disks", "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    disks = {d["identity"]["name"]: d for d in json.loads(listed.stdout)}
    assert disks[disk]["eligible"] is False
    assert "system_disk" in [r["code"] for r in disks[disk]["reasons"]]
