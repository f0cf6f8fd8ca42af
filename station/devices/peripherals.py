"""What a laptop has besides its disks, from the tools' text outputs and sysfs: sound
cards (`aplay -l`, `arecord -l`), cameras (`v4l2-ctl --list-devices`), Wi-Fi (`iw dev`,
`iw dev IF scan`), Bluetooth (/sys/class/bluetooth) and wired links (/sys/class/net).

The parsers take text, so they are tested on outputs published from real machines
(tests/fixtures/functions/SOURCES.md); the readers take the sysfs root to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from station.devices import sysfs

_APLAY = re.compile(r"^card (\d+): (\S+) \[(.*?)\], device (\d+): (.*?) \[(.*?)\]\s*$")


@dataclass(frozen=True)
class SoundDevice:
    card: int
    card_id: str
    card_name: str
    device: int
    name: str

    @property
    def hw(self) -> str:
        """The ALSA name of this device, for speaker-test / arecord -D."""
        return f"hw:{self.card},{self.device}"

    @property
    def is_hdmi(self) -> bool:
        text = f"{self.card_name} {self.name}".upper()
        return "HDMI" in text or "DISPLAYPORT" in text


def parse_aplay_list(text: str) -> list[SoundDevice]:
    """`aplay -l` or `arecord -l`: one entry per card and device."""
    found = []
    for line in text.splitlines():
        match = _APLAY.match(line.strip())
        if match:
            card, card_id, card_name, device, name, _ = match.groups()
            found.append(SoundDevice(int(card), card_id, card_name, int(device), name))
    return found


def speakers(devices: list[SoundDevice]) -> list[SoundDevice]:
    """The devices that can be the laptop's own speakers (analog, not HDMI outputs)."""
    return [d for d in devices if not d.is_hdmi]


@dataclass(frozen=True)
class Camera:
    name: str
    bus: str
    nodes: tuple[str, ...]

    @property
    def video_node(self) -> str | None:
        return next((n for n in self.nodes if n.startswith("/dev/video")), None)

    @property
    def is_usb(self) -> bool:
        return self.bus.startswith("usb-")


def parse_v4l2_devices(text: str) -> list[Camera]:
    """`v4l2-ctl --list-devices`: a header 'Name (bus):' then one indented node a line.

    Only USB (UVC) devices are cameras of a laptop; platform codecs and ISPs (Raspberry Pi
    'bcm2835-codec') list video nodes too and are left out."""
    cameras: list[Camera] = []
    name = bus = None
    nodes: list[str] = []

    def close() -> None:
        if name is not None and bus is not None and bus.startswith("usb-"):
            cameras.append(Camera(name, bus, tuple(nodes)))

    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            close()
            header = re.match(r"^(.*) \(([^()]*)\):\s*$", line)
            name, bus = (header.group(1), header.group(2)) if header else (line, "")
            nodes = []
        else:
            nodes.append(line.strip())
    close()
    return cameras


@dataclass(frozen=True)
class WifiInterface:
    phy: str
    name: str
    kind: str | None


def parse_iw_dev(text: str) -> list[WifiInterface]:
    """`iw dev`: the wireless interfaces and the radio (phy) each belongs to."""
    found: list[WifiInterface] = []
    phy = ""
    name: str | None = None
    kind: str | None = None
    for raw in [*text.splitlines(), "phy#end"]:
        line = raw.strip()
        if line.startswith(("phy#", "Interface ")) and name is not None:
            found.append(WifiInterface(phy, name, kind))
            name, kind = None, None
        if line.startswith("phy#"):
            phy = line.replace("#", "")
        elif line.startswith("Interface "):
            name = line.split(None, 1)[1]
        elif line.startswith("type "):
            kind = line.split(None, 1)[1]
    return found


def count_scan_networks(text: str) -> int:
    """How many access points an `iw dev IF scan` saw (one 'BSS xx:xx...' block each)."""
    return sum(1 for line in text.splitlines() if re.match(r"^BSS [0-9a-fA-Fx:]{17}", line))


def bluetooth_adapters(sys_root: Path = sysfs.SYS) -> list[str]:
    """The Bluetooth controllers the kernel knows (hci0...)."""
    folder = sys_root / "class" / "bluetooth"
    return sorted(p.name for p in folder.glob("hci*")) if folder.is_dir() else []


@dataclass(frozen=True)
class WiredLink:
    name: str
    carrier: bool
    speed_mbps: int | None


def wired_links(sys_root: Path = sysfs.SYS) -> list[WiredLink]:
    """Ethernet ports (type 1, not wireless, not virtual) and whether a cable is live."""
    found = []
    for iface in sorted((sys_root / "class" / "net").glob("*")):
        if sysfs.read_attr(iface / "type") != "1" or (iface / "wireless").exists():
            continue
        if not (iface / "device").exists():  # bridges, veth, tun: no hardware behind
            continue
        speed = sysfs.read_attr(iface / "speed")
        found.append(
            WiredLink(
                name=iface.name,
                carrier=sysfs.read_attr(iface / "carrier") == "1",
                speed_mbps=int(speed) if speed and speed.isdigit() else None,
            )
        )
    return found


BLACK_PERCENT = 5.0  # a frame darker than this on average: covered or dead camera


def frame_argv(node: str, target: Path) -> list[str]:
    """One YUYV frame from the camera into `target` (UVC cameras all offer YUYV)."""
    return [
        "v4l2-ctl", "-d", node, "--set-fmt-video=pixelformat=YUYV",
        "--stream-mmap", "--stream-count=1", f"--stream-to={target}",
    ]  # fmt: skip


def yuyv_brightness(frame: bytes) -> float | None:
    """The mean luma of a YUYV frame (every other byte), in % of white; None if empty."""
    luma = frame[0::2]
    return round(sum(luma) / len(luma) / 255 * 100, 1) if luma else None
