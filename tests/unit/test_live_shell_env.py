"""The supervisor's shell on the stick's tty2 gets the bench's data folder: a login
shell reads /etc/profile.d/station.sh, which exports what station-data-mount wrote, so
`station smart` there uses the stick's journal and bench key, not a new one of its own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PROFILE = (
    Path(__file__).resolve().parents[2]
    / "live-image/config/includes.chroot/etc/profile.d/station.sh"
)


def login_env(env_file: Path) -> dict[str, str]:
    """What a command started from that shell sees (dash, as /bin/sh on Debian)."""
    done = subprocess.run(
        ["sh", "-c", f". {PROFILE} && env"],
        capture_output=True, text=True, check=True,
        env={"PATH": os.environ["PATH"], "STATION_ENV_FILE": str(env_file)},
    )  # fmt: skip
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def test_the_sticks_data_folder_reaches_the_commands(tmp_path: Path) -> None:
    # As station-data-mount writes it for a FAT data partition.
    env_file = tmp_path / "env"
    env_file.write_text(
        "STATION_DATA_DIR=/srv/station-data\nSTATION_DATA_DEVICE=/dev/sdb3\n"
        "STATION_DATA_UUID=1234-ABCD\n"
    )
    seen = login_env(env_file)
    assert seen["STATION_DATA_DIR"] == "/srv/station-data"
    assert seen["STATION_DATA_DEVICE"] == "/dev/sdb3"
    assert seen["STATION_DATA_UUID"] == "1234-ABCD"


def test_records_in_ram_are_said_to_the_commands_too(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("STATION_DATA_DIR=/var/lib/station\nSTATION_DATA_VOLATILE=1\n")
    seen = login_env(env_file)
    assert (seen["STATION_DATA_DIR"], seen["STATION_DATA_VOLATILE"]) == ("/var/lib/station", "1")


def test_no_env_file_no_change(tmp_path: Path) -> None:
    assert "STATION_DATA_DIR" not in login_env(tmp_path / "absent")
