"""tty1 of the test VM seen from the host: keys go in through QEMU's emulated keyboard
(QMP `send-key`), pictures of the console come out as the payload's `screen` events
(tests/vm/payloads/functions_tui.py reads /dev/vcsu1 and /dev/vcsa1 and sends each new
one on ttyS1). So the host presses keys like a trainee and sees what a trainee sees,
colours included, without anything typed on the guest's behalf.
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from harness import EVENT_PREFIX, VM

SCREEN_EVENT = "screen "
STATE_EVENT = "tui-state "
# QEMU key names (qcodes) for what the kernel's default US keymap types.
US_SYMBOLS = {
    " ": "spc", "\n": "ret", "-": "minus", "_": "shift-minus", "=": "equal", "+": "shift-equal",
    ",": "comma", ".": "dot", "/": "slash", ";": "semicolon", ":": "shift-semicolon",
    "'": "apostrophe", "(": "shift-9", ")": "shift-0",
}  # fmt: skip


def us_keys(text: str) -> list[str]:
    """The keys to press on a US keyboard to type `text` (ASCII letters, digits, a few
    signs): what the VM's console, with the kernel's built-in keymap, turns back into it."""
    keys = []
    for char in text:
        if char in US_SYMBOLS:
            keys.append(US_SYMBOLS[char])
        elif char.isascii() and char.isalnum():
            keys.append(f"shift-{char.lower()}" if char.isupper() else char)
        else:
            raise ValueError(f"no US key for {char!r}")
    return keys


@dataclass(frozen=True)
class Screen:
    """One picture of the console: its text, and each cell's VGA attribute byte (low
    nibble the foreground colour, bits 4-6 the background)."""

    rows: int
    cols: int
    text: str
    attrs: bytes

    def lines(self) -> list[str]:
        return self.text.split("\n")

    def find(self, needle: str) -> tuple[int, int] | None:
        """(row, column) of the first line holding `needle`."""
        for row, line in enumerate(self.lines()):
            column = line.find(needle)
            if column >= 0:
                return row, column
        return None

    def attr(self, row: int, col: int) -> int:
        return self.attrs[row * self.cols + col]

    def background(self, row: int, col: int) -> int:
        return (self.attr(row, col) >> 4) & 0x7

    def backgrounds(self) -> set[int]:
        return {(a >> 4) & 0x7 for a in self.attrs}


def decode(line: str) -> Screen | None:
    seen = json.loads(zlib.decompress(base64.b64decode(line[len(SCREEN_EVENT) :])))
    if "error" in seen:
        return None
    return Screen(seen["rows"], seen["cols"], seen["text"], bytes.fromhex(seen["attrs"]))


def complete_events(vm: VM) -> list[str]:
    """The payload's events so far, without a last line QEMU is still writing."""
    text = vm.channel_log.read_text(errors="replace") if vm.channel_log.exists() else ""
    whole = text[: text.rfind("\n") + 1]
    return [
        line[len(EVENT_PREFIX) :].strip()
        for line in whole.splitlines()
        if line.startswith(EVENT_PREFIX)
    ]


def screens(vm: VM) -> list[str]:
    """Every screen event so far (encoded; `decode` opens one)."""
    return [e for e in complete_events(vm) if e.startswith(SCREEN_EVENT)]


def latest(vm: VM) -> Screen | None:
    for line in reversed(screens(vm)):
        found = decode(line)
        if found is not None:
            return found
    return None


def wait_screen(
    vm: VM, ready: Callable[[Screen], bool], timeout_s: float, *, after: int = 0
) -> Screen:
    """The first picture (from the `after`-th screen event on) for which `ready` holds;
    TimeoutError with the last picture otherwise."""
    deadline = time.monotonic() + timeout_s
    last: Screen | None = None
    while True:
        lines = screens(vm)
        for line in lines[after:]:
            found = decode(line)
            if found is not None:
                last = found
                if ready(found):
                    return found
        after = max(after, len(lines))
        if time.monotonic() > deadline or vm._exited():
            shown = last.text if last else "(no screen yet)"
            raise TimeoutError(
                f"screen not reached in {timeout_s:.0f}s; tty1 shows:\n{shown}\n"
                f"the payload says: {payload_state(vm)}"
            )
        time.sleep(0.5)


def payload_state(vm: VM) -> str:
    """The last `tui-state` event: the TUI's log tail and process state, for errors."""
    for line in reversed(complete_events(vm)):
        if line.startswith(STATE_EVENT):
            return zlib.decompress(base64.b64decode(line[len(STATE_EVENT) :])).decode()
    return "(no state sent)"


def press(vm: VM, keys: list[str], pause_s: float = 0.2) -> int:
    """Press the keys on the VM's keyboard, one after the other; returns how many screen
    events there were before, for `wait_screen(..., after=)`."""
    before = len(screens(vm))
    with vm.qmp() as qmp:
        for key in keys:
            qmp.send_key(key)
            time.sleep(pause_s)
    return before
