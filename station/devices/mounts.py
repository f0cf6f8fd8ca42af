"""What the running system is using: /proc/self/mountinfo, /proc/swaps, /proc/cmdline.

Functions take `proc_root` so unit tests can give a fake /proc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def unescape(field: str) -> str:
    """The kernel writes space, tab, newline and backslash in paths as octal (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


@dataclass(frozen=True)
class MountEntry:
    major: int
    minor: int
    mount_point: str
    fs_type: str
    source: str
    mount_id: int = 0  # the kernel's id of this mount: a new mount gets a new one


def parse_mountinfo(text: str) -> list[MountEntry]:
    """Lines like `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw`."""
    entries = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields or len(fields) < 7:
            continue
        dash = fields.index("-")
        major, _, minor = fields[2].partition(":")
        after = fields[dash + 1 :]
        entries.append(
            MountEntry(
                major=int(major),
                minor=int(minor),
                mount_point=unescape(fields[4]),
                fs_type=after[0] if after else "",
                source=unescape(after[1]) if len(after) > 1 else "",
                mount_id=int(fields[0]),
            )
        )
    return entries


def read_mountinfo(proc_root: Path = PROC) -> list[MountEntry]:
    return parse_mountinfo((Path(proc_root) / "self" / "mountinfo").read_text())


def parse_swaps(text: str) -> list[str]:
    """The active swap areas (device or file paths) from /proc/swaps."""
    lines = text.splitlines()[1:]  # the first line is the column header
    return [unescape(line.split()[0]) for line in lines if line.strip()]


def read_swaps(proc_root: Path = PROC) -> list[str]:
    try:
        return parse_swaps((Path(proc_root) / "swaps").read_text())
    except FileNotFoundError:  # a kernel built without swap has no /proc/swaps
        return []


def read_cmdline(proc_root: Path = PROC) -> str:
    try:
        return (Path(proc_root) / "cmdline").read_text().strip()
    except FileNotFoundError:
        return ""


def cmdline_flag(cmdline: str, word: str) -> bool:
    """True when a bare `word` (like `toram`) is on the kernel command line, before `--`."""
    for found in cmdline.split():
        if found == "--":
            return False
        if found == word:
            return True
    return False


def cmdline_value(cmdline: str, key: str) -> str | None:
    """The value of `key=value` on a kernel command line (the last one wins, as in the
    kernel); None when the key is absent. Parameters after `--` go to init, not us."""
    found = None
    for word in cmdline.split():
        if word == "--":
            break
        name, sep, value = word.partition("=")
        if name == key and sep:
            found = value.strip('"')
    return found
