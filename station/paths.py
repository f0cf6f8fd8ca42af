"""Where Station keeps what must survive a reboot: journal, bench key, checkpoints.

On the live stick this is the data partition (set by the live image through
STATION_DATA_DIR); elsewhere /var/lib/station for root, ~/.local/share/station otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DATA_DIR_ENV = "STATION_DATA_DIR"


def data_dir() -> Path:
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        path = Path(configured)
    elif os.geteuid() == 0:
        path = Path("/var/lib/station")
    else:
        path = Path.home() / ".local" / "share" / "station"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


BENCH_PROFILE_ENV = "STATION_BENCH_PROFILE"
LIVE_BENCH_FILE = "banc.yaml"


def bench_profile_path() -> Path | None:
    """This bench's profile when none is named: $STATION_BENCH_PROFILE, else banc.yaml
    in the data folder (where the live stick keeps it), else None (the default bench)."""
    configured = os.environ.get(BENCH_PROFILE_ENV)
    if configured:
        return Path(configured)
    live = data_dir() / LIVE_BENCH_FILE
    return live if live.is_file() else None


def profiles_dirs() -> list[Path]:
    """Folders searched for profiles, most specific first."""
    found = []
    configured = os.environ.get("STATION_PROFILES_DIR")
    if configured:
        found.append(Path(configured))
    found.append(data_dir() / "profiles")
    # A source checkout keeps them beside the package; an installed wheel under share/.
    found.append(Path(__file__).resolve().parent.parent / "profiles")
    found.append(Path(sys.prefix) / "share" / "station" / "profiles")
    return [path for path in found if path.is_dir()]
