"""The laptop's panel from its EDID (sysfs `/sys/class/drm/card*-*/edid`).

The native resolution is the first detailed timing descriptor's (EDID 1.3 and later say
it holds the preferred, native mode). The panel's own name comes from the display name
descriptor (0xFC) or, on most laptop panels which have none, the last alphanumeric
string (0xFE: 'B140HAK01.0'). Tested on real panels' EDIDs (tests/fixtures/functions/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station.devices import sysfs

HEADER = bytes.fromhex("00ffffffffffff00")
# Connectors of a built-in panel; external outputs (HDMI, DP, VGA) are not the laptop's.
INTERNAL = ("eDP", "LVDS", "DSI")


@dataclass(frozen=True)
class Panel:
    connector: str
    manufacturer: str
    product_code: int
    name: str | None
    width: int
    height: int
    refresh_hz: float | None
    size_mm: tuple[int, int] | None
    checksum_ok: bool

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def internal(self) -> bool:
        return self.connector.partition("-")[2].startswith(INTERNAL)


def _manufacturer(data: bytes) -> str:
    word = int.from_bytes(data[8:10], "big")
    return "".join(chr(((word >> shift) & 0x1F) + ord("A") - 1) for shift in (10, 5, 0))


def _texts(data: bytes) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(54, 126, 18):
        block = data[start : start + 18]
        if block[0:3] == b"\x00\x00\x00" and block[3] in (0xFC, 0xFE):
            text = block[5:18].split(b"\x0a")[0].decode("ascii", "replace").strip()
            if text:
                found[block[3]] = text
    return found


def parse_edid(data: bytes, connector: str = "") -> Panel | None:
    """The panel an EDID blob describes, or None when it is not an EDID (empty, cut)."""
    if len(data) < 128 or data[:8] != HEADER:
        return None
    dtd = data[54:72]
    clock = int.from_bytes(dtd[0:2], "little")  # in 10 kHz; 0 means no timing here
    if clock == 0:
        return None
    width = dtd[2] | (dtd[4] & 0xF0) << 4
    blank_h = dtd[3] | (dtd[4] & 0x0F) << 8
    height = dtd[5] | (dtd[7] & 0xF0) << 4
    blank_v = dtd[6] | (dtd[7] & 0x0F) << 8
    total = (width + blank_h) * (height + blank_v)
    size = (dtd[12] | (dtd[14] & 0xF0) << 4, dtd[13] | (dtd[14] & 0x0F) << 8)
    texts = _texts(data)
    return Panel(
        connector=connector,
        manufacturer=_manufacturer(data),
        product_code=int.from_bytes(data[10:12], "little"),
        name=texts.get(0xFC) or texts.get(0xFE),
        width=width,
        height=height,
        refresh_hz=round(clock * 10_000 / total, 2) if total else None,
        size_mm=size if all(size) else None,
        checksum_ok=sum(data[:128]) % 256 == 0,
    )


def read_panels(sys_root: Path = sysfs.SYS) -> list[Panel]:
    """Every connected output with an EDID, the built-in panel first."""
    panels: list[Panel] = []
    for edid in sorted((sys_root / "class" / "drm").glob("card*-*/edid")):
        status = sysfs.read_attr(edid.parent / "status")
        if status not in (None, "connected"):
            continue
        try:
            data = edid.read_bytes()
        except OSError:
            continue
        panel = parse_edid(data, edid.parent.name)
        if panel is not None:
            panels.append(panel)
    return sorted(panels, key=lambda p: not p.internal)
