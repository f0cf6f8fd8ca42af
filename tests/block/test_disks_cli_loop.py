"""`station disks` run as a real command, seeing loop devices this test made."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, LoopFactory

pytestmark = pytest.mark.block

MIB = 1024 * 1024


def station(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def listed(args: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    done = station("disks", "--json", *args)
    assert done.returncode == 0, done.stderr
    return {disk["identity"]["name"]: disk for disk in json.loads(done.stdout)}


def test_json_lists_the_loop_devices_made_here(make_loop: LoopFactory) -> None:
    idle = Path(make_loop(32 * MIB)).name
    read_only = Path(make_loop(16 * MIB, read_only=True)).name
    disks = listed(("--include-loop",))
    assert disks[idle]["eligible"] is True
    assert disks[idle]["reasons"] == []
    assert disks[idle]["identity"]["size_bytes"] == 32 * MIB
    assert disks[idle]["identity"]["bus"] == "loop"
    assert disks[idle]["identity"]["slot"] is not None
    assert disks[read_only]["eligible"] is False
    [reason] = disks[read_only]["reasons"]
    assert reason["code"] == "read_only"
    assert reason["message"]["fr"] and reason["message"]["en"]


def test_loop_devices_are_hidden_without_the_flag(make_loop: LoopFactory) -> None:
    name = Path(make_loop(8 * MIB)).name
    assert name not in listed(())


def test_table_shows_the_disk_and_the_reasons(make_loop: LoopFactory) -> None:
    name = Path(make_loop(16 * MIB, read_only=True)).name
    done = station("disks", "--include-loop", "--lang", "en")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["slot", "disk", "model"]
    # Reason lines ("- … loop5 → loop7 (…)") may name other devices; rows never start with "-".
    rows = [i for i, line in enumerate(lines) if not line.lstrip().startswith("-")]
    [row] = [i for i in rows if f" {name} " in lines[i]]
    assert lines[row].rstrip().endswith("refused")
    assert "Read-only disk" in lines[row + 1]
