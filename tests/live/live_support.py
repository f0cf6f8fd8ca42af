"""Where the built image is, and why the live tier cannot run here (if it cannot)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from harness import qemu_missing_reason
from livevm import ovmf_missing_reason

LIVE_DIR = Path(os.environ.get("STATION_LIVE_DIR", "/var/tmp/station-live"))


def live_iso() -> Path:
    return Path(os.environ.get("STATION_LIVE_ISO", LIVE_DIR / "station-live.iso"))


def live_tier_reason(firmware: str) -> str | None:
    """Why the live tier cannot run here, or None when it can."""
    if os.environ.get("STATION_LIVE_TESTS") != "1":
        # Two full boots of the ISO under TCG take ~15 min: `make test` (and so CI, even
        # on a machine where an image was built) leaves them to `make vm-boot`.
        return "the live tier runs with `make vm-boot` (it sets STATION_LIVE_TESTS=1)"
    iso = live_iso()
    if not iso.is_file():
        return f"no live image at {iso}: build it with `make live-image` (then `make vm-boot`)"
    reason = qemu_missing_reason()
    if reason:
        return reason
    if firmware == "uefi":
        reason = ovmf_missing_reason()
        if reason:
            return reason
    for tool in ("mkfs.vfat", "mcopy", "dd"):
        if shutil.which(tool) is None:
            return f"live tier needs {tool} on the host to write the stick image"
    return None
