"""Boot 2 ("hot-plug"), run inside the VM: Station's udev watcher sees a disk the host
hot-adds; two wipes run at once and the host pulls one disk out mid-wipe (device_del).

Host and VM meet at events on ttyS1: "watching" (host may hot-add), "wiping" (host may
remove the USB disk).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import vmlib

from station.devices.udev import DiskEvent, DiskWatcher

RESULT: dict[str, Any] = {}
EVENTS: list[dict[str, Any]] = []
HOTADD_SERIAL = vmlib.CONFIG["roles"]["hotadd"]
REMOVE_AFTER_BYTES = 48 * 1024 * 1024


def on_event(event: DiskEvent) -> None:
    identity = event.inspection.identity if event.inspection else None
    EVENTS.append(
        {
            "action": event.action.value,
            "name": event.name,
            "serial": identity.serial if identity else None,
            "eligible": event.inspection.eligibility.eligible if event.inspection else None,
            "at": time.monotonic(),
        }
    )


def seen(action: str, *, serial: str | None = None, name: str | None = None) -> bool:
    return any(
        e["action"] == action
        and (serial is None or e["serial"] == serial)
        and (name is None or e["name"] == name)
        for e in EVENTS
    )


def bytes_written(device: str) -> int:
    stat = Path(f"/sys/block/{Path(device).name}/stat")
    if not stat.exists():
        return -1
    return int(stat.read_text().split()[6]) * 512  # field 7: sectors written


def wipe_cmd(role: str) -> list[str]:
    return [
        "station",
        "wipe",
        vmlib.dev(role),
        "--profile",
        "nist-clear",
        "--yes",
        "--no-checkpoint",
        "--json",
        f"/run/station-vm/wipe-{role}.json",
    ]


def finish(process: Any, role: str, timeout: float) -> dict[str, Any]:
    try:
        rc = process.wait(timeout=timeout)
    except Exception:
        process.kill()
        rc = "timeout"
    report = Path(f"/run/station-vm/wipe-{role}.json")
    return {
        "argv": process.args,
        "rc": rc,
        "stdout": "",
        "stderr": vmlib.read_log(role),
        "report": json.loads(report.read_text()) if report.exists() else None,
    }


def hot_add(watcher: DiskWatcher) -> dict[str, Any]:
    present = watcher.start()
    vmlib.event("watching")
    found = vmlib.wait_until(lambda: seen("add", serial=HOTADD_SERIAL), 90)
    return {"present": [i.identity.serial for i in present], "seen": found, "events": list(EVENTS)}


def wipe_and_pull() -> dict[str, Any]:
    usb = vmlib.dev("usb")
    usb_wipe = vmlib.spawn(wipe_cmd("usb"), "usb")
    virtio_wipe = vmlib.spawn(wipe_cmd("virtio"), "virtio")
    started = vmlib.wait_until(
        lambda: bytes_written(usb) >= REMOVE_AFTER_BYTES or usb_wipe.poll() is not None, 180
    )
    found: dict[str, Any] = {
        "usb_written_before_pull": bytes_written(usb),
        "usb_running_at_pull": usb_wipe.poll() is None,
        "virtio_running_at_pull": virtio_wipe.poll() is None,
        "started": started,
    }
    vmlib.event("wiping")
    found["usb"] = finish(usb_wipe, "usb", 300)
    found["virtio"] = finish(virtio_wipe, "virtio", 600)
    found["usb_gone"] = not Path(usb).exists()
    found["remove_seen"] = vmlib.wait_until(lambda: seen("remove", name=Path(usb).name), 30)
    found["events"] = list(EVENTS)
    return found


def main() -> None:
    watcher = DiskWatcher(on_event)
    RESULT["devices"] = vmlib.disks()
    vmlib.run_step(RESULT, "hot_add", lambda: hot_add(watcher))
    vmlib.run_step(RESULT, "wipe_and_pull", wipe_and_pull)
    watcher.stop()
    vmlib.save(RESULT)


if __name__ == "__main__":
    main()
