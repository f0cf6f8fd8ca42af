"""Runs inside the test VM (started by /init): udev up, drives found, payload run, result out.

The result goes to ttyS1 as JSON between marker lines; the console (ttyS0) gets the logs.
Only the standard library (and vmlib beside it): this runs before anything else is
known to work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

from vmlib import channel_write, event, udev_properties

VM_DIR = Path("/opt/station-vm")
RUN_DIR = Path("/run/station-vm")
UDEVD = ("/usr/lib/systemd/systemd-udevd", "/lib/systemd/systemd-udevd")


def log(message: str) -> None:
    print(f"station-vm[{uptime():.1f}s]: {message}", flush=True)


def uptime() -> float:
    return float(Path("/proc/uptime").read_text().split()[0])


def start_udev() -> None:
    udevd = next(path for path in UDEVD if Path(path).exists())
    subprocess.run([udevd, "--daemon", "--resolve-names=never"], check=True)
    subprocess.run(["udevadm", "trigger", "--type=subsystems", "--action=add"], check=True)
    subprocess.run(["udevadm", "trigger", "--type=devices", "--action=add"], check=True)
    subprocess.run(["udevadm", "settle", "--timeout=60"], check=False)


def whole_disks() -> dict[str, dict[str, str]]:
    """udev properties of every whole disk (not partitions), by /dev path."""
    found = {}
    for entry in sorted(Path("/sys/block").iterdir()):
        if entry.name.startswith(("loop", "ram", "zram")):
            continue
        found[f"/dev/{entry.name}"] = udev_properties(f"/dev/{entry.name}")
    return found


def serial_of(props: dict[str, str], expected: list[str]) -> str | None:
    for serial in expected:
        if props.get("ID_SERIAL_SHORT") == serial or serial in props.get("ID_SERIAL", ""):
            return serial
    return None


def wait_for_serials(expected: list[str], timeout_s: float) -> dict[str, dict[str, object]]:
    """Serial -> {dev, props}; a USB disk may appear after the first settle."""
    deadline = time.monotonic() + timeout_s
    while True:
        by_serial: dict[str, dict[str, object]] = {}
        for dev, props in whole_disks().items():
            serial = serial_of(props, expected)
            if serial:
                by_serial[serial] = {"dev": dev, "props": props}
        if len(by_serial) == len(expected) or time.monotonic() > deadline:
            return by_serial
        time.sleep(0.5)
        subprocess.run(["udevadm", "settle", "--timeout=10"], check=False)


def run_payload(config: dict[str, object]) -> tuple[int, object]:
    env = dict(
        os.environ,
        PYTHONPATH="/opt/station-vm:/opt/station:/opt/station-deps",
        STATION_DATA_DIR="/var/lib/station",
        HOME="/root",
        LANG="C.UTF-8",
        PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    )
    result_file = RUN_DIR / "result.json"
    timeout = float(config.get("payload_timeout_s", 600))  # type: ignore[arg-type]
    try:
        rc = subprocess.run(
            [sys.executable, str(VM_DIR / "payload.py")], env=env, timeout=timeout, check=False
        ).returncode
    except subprocess.TimeoutExpired:
        return -1, {"error": f"payload timed out after {timeout}s"}
    if result_file.exists():
        return rc, json.loads(result_file.read_text())
    return rc, None


def main() -> None:
    started = uptime()
    config = json.loads((VM_DIR / "config.json").read_text())
    expected: list[str] = config["expected_serials"]
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"init_s": started}
    try:
        start_udev()
        found = wait_for_serials(expected, float(config.get("serial_timeout_s", 60)))
        result["udev_s"] = uptime()
        result["udev"] = {serial: info["props"] for serial, info in found.items()}
        result["missing_serials"] = [s for s in expected if s not in found]
        roles = config["roles"]
        devices = {role: found[serial]["dev"] for role, serial in roles.items() if serial in found}
        (RUN_DIR / "disks.json").write_text(json.dumps(devices))
        result["devices"] = devices
        log(f"disks: {devices}; missing: {result['missing_serials']}")
        event("ready")
        result["payload_rc"], result["payload"] = run_payload(config)
    except Exception:
        result["agent_error"] = traceback.format_exc()
        log(result["agent_error"])  # type: ignore[arg-type]
    result["end_s"] = uptime()
    channel_write("@@STATION-RESULT-BEGIN\n" + json.dumps(result) + "\n@@STATION-RESULT-END")
    log("result sent; powering off")


if __name__ == "__main__":
    main()
