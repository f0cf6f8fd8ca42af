"""Helpers for payloads running inside the test VM (imported as `vmlib`).

A payload is a Python file the host passes to the boot; it uses these helpers to find
its drives by role, run commands, tell the host where it is (events on ttyS1) and save
its result, which the agent sends back to the host as JSON.
"""

from __future__ import annotations

import json
import subprocess
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUN_DIR = Path("/run/station-vm")
CONFIG = json.loads((Path(__file__).resolve().parent / "config.json").read_text())


def disks() -> dict[str, str]:
    """Role (sata, nvme, usb, ...) -> /dev path, as the agent found them by serial."""
    found: dict[str, str] = json.loads((RUN_DIR / "disks.json").read_text())
    return found


def dev(role: str) -> str:
    return disks()[role]


def run(argv: list[str], *, timeout: float = 600, input_text: str | None = None) -> dict[str, Any]:
    """Run a command; its argv, exit code and output always come back to the host."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, input=input_text, check=False
        )
        rc, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = -1, str(exc.stdout or ""), f"timed out after {timeout}s"
    except FileNotFoundError as exc:
        rc, out, err = 127, "", str(exc)
    print(f"$ {' '.join(argv)}  -> rc {rc}", flush=True)
    if rc != 0:
        print(err[-2000:], flush=True)
    return {
        "argv": argv,
        "rc": rc,
        "stdout": out,
        "stderr": err,
        "seconds": round(time.monotonic() - started, 2),
    }


def station(*args: str, timeout: float = 600) -> dict[str, Any]:
    """`station ARGS...` with its JSON output parsed when it printed some."""
    result = run(["station", *args], timeout=timeout)
    try:
        result["json"] = json.loads(result["stdout"])
    except (json.JSONDecodeError, TypeError):
        result["json"] = None
    return result


def spawn(argv: list[str], log_name: str) -> subprocess.Popen[str]:
    """Start a command in the background; its output goes to /run/station-vm/<log_name>."""
    out = (RUN_DIR / log_name).open("w")
    return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True)


def read_log(log_name: str) -> str:
    return (RUN_DIR / log_name).read_text(errors="replace")


def udev_properties(device: str) -> dict[str, str]:
    out = subprocess.run(
        ["udevadm", "info", "--query=property", f"--name={device}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def channel_write(text: str) -> None:
    """One message to the host on ttyS1 (events, and the agent's final result)."""
    with open("/dev/ttyS1", "w") as channel:
        channel.write(text + "\n")
        channel.flush()


def event(name: str) -> None:
    """Tell the host we reached `name` (it may be waiting to hot-plug something)."""
    channel_write(f"@@STATION-EVENT {name}")
    print(f"event {name}", flush=True)


def wait_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def save(result: dict[str, Any]) -> None:
    (RUN_DIR / "result.json").write_text(json.dumps(result, default=str))


def run_step(result: dict[str, Any], name: str, action: Callable[[], Any]) -> None:
    """Run one step of a payload; its value (or traceback) is saved at once, so a later
    crash or timeout keeps what earlier steps found."""
    try:
        result[name] = action()
    except Exception:
        result[name] = {"error": traceback.format_exc()}
    save(result)


def has_command(name: str) -> bool:
    """Whether this Station has `station NAME` (some commands are still being written)."""
    import station.cli  # the payload's PYTHONPATH has /opt/station

    return f"station.cli.{name}" in station.cli.COMMANDS
