"""Run inside the VM: Station's real bench screen (`station tui`) on the VM's console,
tty1, as on the stick; the host drives it with QMP `send-key` only (QEMU's USB
keyboard, the kernel's keyboard driver, the console's US keymap) and reads it back from
the screen events this payload sends (tty1's text and colours, from /dev/vcsu1 and
/dev/vcsa1, as the live tier's `station-console` reads them).

Nothing here presses a key or answers a question. It writes the bench profile, starts
the screen, counts the key presses the USB keyboard's evdev node really delivered, and
once the screen has written the fiche de reconditionnement, stops it and returns the
journal's records and the fiche (`station fiche`) to the host (test_functions_keyboard.py).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import struct
import subprocess
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import vmlib

RESULT: dict[str, Any] = {}
DATA = Path(os.environ.get("STATION_DATA_DIR", "/var/lib/station"))
BENCH = Path("/run/station-vm/banc-vm.yaml")
TTY = 1
# The VM's console has the kernel's built-in US keymap (no loadkeys in the rootfs), so
# the bench draws the US map; the French map is tested with Pilot (tests/tui).
BENCH_YAML = """\
schema_version: 1
name: banc-vm
title: {fr: "Banc VM", en: "VM bench"}
operators: [stagiaire-01]
wipe_profile: nist-clear
wipe_by_media: {}
function_tests:
  keyboard_layout: qwerty-us
  memory_test_megabytes: 16
  memory_test_seconds: 300
"""
EVENT_FORMAT = "llHHi"  # struct input_event on x86-64: timeval, type, code, value
EV_KEY = 1


def screen_now() -> dict[str, Any]:
    """tty1 as the console holds it: text (UTF-32 from vcsu) and each cell's attribute."""
    raw = Path(f"/dev/vcsa{TTY}").read_bytes()
    rows, cols = raw[0], raw[1]
    attrs = raw[4:][1::2]
    codes = struct.unpack(
        f"<{rows * cols}I", Path(f"/dev/vcsu{TTY}").read_bytes()[: rows * cols * 4]
    )
    chars = "".join(chr(c) for c in codes)
    text = "\n".join(chars[r * cols : (r + 1) * cols].rstrip() for r in range(rows))
    return {"rows": rows, "cols": cols, "text": text, "attrs": attrs.hex()}


def publish_screens(stop: threading.Event, tui: subprocess.Popen[bytes]) -> None:
    """Each new picture of tty1 goes to the host as one event line (zlib + base64), and
    every few seconds the TUI's log and state when they changed."""
    last = None
    last_state = None
    turns = 0
    while not stop.is_set():
        turns += 1
        if turns % 20 == 1:
            state = json.dumps(tui_state(tui), sort_keys=True)
            if state != last_state:
                last_state = state
                vmlib.channel_write(f"@@STATION-EVENT tui-state {pack(state)}")
        try:
            seen = screen_now()
        except OSError as exc:
            seen = {"error": str(exc)}
        packed = json.dumps(seen, sort_keys=True)
        if packed != last:
            last = packed
            # Straight to the channel: vmlib.event would also print it on the console.
            vmlib.channel_write(f"@@STATION-EVENT screen {pack(packed)}")
        time.sleep(0.3)


def pack(text: str) -> str:
    return base64.b64encode(zlib.compress(text.encode())).decode()


def keyboards() -> dict[str, str]:
    """Keyboard name -> its evdev node, from /proc/bus/input/devices."""
    found = {}
    for block in Path("/proc/bus/input/devices").read_text().split("\n\n"):
        name = re.search(r'N: Name="(.*)"', block)
        handlers = re.search(r"H: Handlers=(.*)", block)
        names = handlers.group(1).split() if handlers else []
        event = next((h for h in names if h.startswith("event")), None)
        if name and "kbd" in names:
            found[name.group(1)] = f"/dev/input/{event}" if event else "(no evdev node)"
    return found


def count_presses(node: str, counts: dict[str, int], name: str) -> None:
    """Key presses (EV_KEY, value 1) this keyboard delivered to the kernel."""
    size = struct.calcsize(EVENT_FORMAT)
    with open(node, "rb", buffering=0) as device:
        while True:
            data = device.read(size)
            if len(data) < size:
                return
            _sec, _usec, kind, _code, value = struct.unpack(EVENT_FORMAT, data)
            if kind == EV_KEY and value == 1:
                counts[name] = counts.get(name, 0) + 1


def start_tui() -> subprocess.Popen[bytes]:
    """`station tui` on tty1 with tty1 as its controlling terminal, as getty would.
    setsid -c, not preexec_fn: this process has threads (a child forked from it may
    deadlock before exec)."""
    tty = os.open(f"/dev/tty{TTY}", os.O_RDWR)
    env = dict(os.environ, TERM="linux", LANG="C.UTF-8", STATION_DATA_DIR=str(DATA))
    argv = ["setsid", "--ctty", "station", "tui", "--bench-profile", str(BENCH)]
    # Textual draws on stderr: all three are the console, as under getty. What goes
    # wrong is in Station's log (DATA/logs).
    return subprocess.Popen(argv, stdin=tty, stdout=tty, stderr=tty, env=env)


def station_log() -> str:
    log = DATA / "logs" / "station.log"
    return log.read_text(errors="replace") if log.exists() else ""


def tui_state(tui: subprocess.Popen[bytes]) -> dict[str, Any]:
    """What the host sees when the screen does not come: the TUI's log and state."""
    state: dict[str, Any] = {"returncode": tui.poll(), "log": station_log()[-1500:]}
    for name in ("wchan", "stat"):
        with contextlib.suppress(OSError):
            state[name] = Path(f"/proc/{tui.pid}/{name}").read_text()[:300]
    return state


def the_fiche() -> Path | None:
    return next(iter(sorted((DATA / "documents").glob("fiche-*.pdf"))), None)


def records() -> list[dict[str, Any]]:
    exported = vmlib.run(["station", "journal", "export", "-"], timeout=120)
    chain = json.loads(exported["stdout"])
    return [json.loads(base64.b64decode(entry["payload"])) for entry in chain]


def session() -> dict[str, Any]:
    BENCH.write_text(BENCH_YAML)
    vmlib.run(["modprobe", "evdev"])
    vmlib.wait_until(lambda: all(n.startswith("/dev/") for n in keyboards().values()), 30)
    found = keyboards()
    counts: dict[str, int] = {}
    for name, node in found.items():
        if not node.startswith("/dev/"):
            continue
        threading.Thread(target=count_presses, args=(node, counts, name), daemon=True).start()
    stop = threading.Event()
    tui = start_tui()
    publisher = threading.Thread(target=publish_screens, args=(stop, tui), daemon=True)
    publisher.start()
    vmlib.event("tui-started")
    written = vmlib.wait_until(lambda: the_fiche() is not None or tui.poll() is not None, 1500)
    # The screen says "Fiche de reconditionnement : ..." a moment after writing it.
    time.sleep(3)
    still_running = tui.poll() is None
    if still_running:
        tui.send_signal(signal.SIGTERM)
        try:
            tui.wait(timeout=30)
        except subprocess.TimeoutExpired:
            tui.kill()
    stop.set()
    publisher.join(timeout=5)
    fiche = the_fiche()
    return {
        "keyboards": found,
        "presses": counts,
        "fiche_written": written and fiche is not None,
        "tui_ran_to_the_end": still_running,
        "tui_log": station_log()[-4000:],
        "screen_fiche": base64.b64encode(fiche.read_bytes()).decode() if fiche else None,
    }


def afterwards(serial: str) -> dict[str, Any]:
    """What the journal holds, and the fiche `station fiche` writes from it."""
    out = vmlib.RUN_DIR / "fiche.pdf"
    made = vmlib.run(["station", "fiche", serial, "--out", str(out)], timeout=300)
    return {
        "records": records(),
        "fiche_run": {k: made[k] for k in ("argv", "rc", "stdout", "stderr")},
        "fiche": base64.b64encode(out.read_bytes()).decode() if out.exists() else None,
        "dmidecode_serial": vmlib.run(["dmidecode", "-s", "system-serial-number"])["stdout"],
    }


def main() -> None:
    vmlib.run_step(RESULT, "session", session)
    serial = str(vmlib.CONFIG.get("host_serial", ""))
    vmlib.run_step(RESULT, "after", lambda: afterwards(serial))
    vmlib.save(RESULT)


if __name__ == "__main__":
    main()
