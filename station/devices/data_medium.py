"""Is the stick that holds the journal still there? The live stick's station-data-mount
names the data partition's device in STATION_DATA_DEVICE (/run/station/env); when that
device node is gone, the stick was pulled and nothing can be recorded until it is back.
Without STATION_DATA_DEVICE (a workstation, the demo) the data folder is a plain disk
folder and always counts as present."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEVICE_ENV = "STATION_DATA_DEVICE"


def data_medium_present(environ: Mapping[str, str] | None = None) -> bool:
    """False only when the data partition's device was named and has disappeared."""
    device = (os.environ if environ is None else environ).get(DEVICE_ENV, "")
    return not device or Path(device).exists()
