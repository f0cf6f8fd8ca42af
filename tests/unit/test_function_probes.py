"""The functional tests' probes on outputs published from real machines
(tests/fixtures/functions/SOURCES.md): EDID, power supplies, aplay, v4l2-ctl, iw,
memtester."""

from __future__ import annotations

import re
from pathlib import Path

from station.devices.edid import parse_edid, read_panels
from station.devices.memtest import parse_memtester
from station.devices.peripherals import (
    bluetooth_adapters,
    count_scan_networks,
    parse_aplay_list,
    parse_iw_dev,
    parse_v4l2_devices,
    speakers,
    wired_links,
)
from station.devices.power import power_state_of, read_power_state
from station.devices.usb_ports import port_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUNCTIONS = FIXTURES / "functions"


def text(name: str) -> str:
    return (FUNCTIONS / name).read_text()


def edid_bytes(name: str) -> bytes:
    """The blob a sysfs `edid` file holds: the hex dump at the top of linuxhw's file."""
    dump = text(f"edid/{name}").split("(hex):", 1)[1].split("----------------", 1)[0]
    return bytes(int(pair, 16) for pair in re.findall(r"\b[0-9a-f]{2}\b", dump))


def test_a_laptop_panel_gives_its_native_resolution_and_its_part_number() -> None:
    panel = parse_edid(edid_bytes("auo-b140hak01-1920x1080.txt"), "card0-eDP-1")
    assert panel is not None
    # edid-decode says: AUO, Model 4157, DTD 1 1920x1080 60.006 Hz, 309 mm x 173 mm.
    assert (panel.manufacturer, panel.product_code, panel.resolution) == ("AUO", 4157, "1920x1080")
    assert (panel.refresh_hz, panel.size_mm) == (60.01, (309, 173))
    assert panel.name == "B140HAK01.0" and panel.checksum_ok and panel.internal


def test_an_edid_with_an_extension_block_is_read_from_its_base_block() -> None:
    blob = edid_bytes("auo-b160hw02-cta-extension.txt")
    assert len(blob) == 256
    panel = parse_edid(blob, "card1-HDMI-A-1")
    assert panel is not None and (panel.resolution, panel.refresh_hz) == ("1920x1080", 75.03)
    assert panel.name == "B160HW02 V0" and not panel.internal


def test_a_cut_or_empty_edid_is_no_panel_and_a_bad_checksum_is_said() -> None:
    blob = edid_bytes("auo-b140hak01-1920x1080.txt")
    assert parse_edid(b"") is None and parse_edid(blob[:100]) is None
    damaged = parse_edid(blob[:127] + b"\x00")
    assert damaged is not None and not damaged.checksum_ok


def test_panels_are_read_from_sysfs_connected_outputs_the_built_in_one_first(
    tmp_path: Path,
) -> None:
    drm = tmp_path / "class" / "drm"
    for connector, blob, status in (
        ("card0-HDMI-A-1", edid_bytes("auo-b160hw02-cta-extension.txt"), "connected"),
        ("card0-eDP-1", edid_bytes("auo-b140hak01-1920x1080.txt"), "connected"),
        ("card0-DP-1", b"", "disconnected"),
    ):
        (drm / connector).mkdir(parents=True)
        (drm / connector / "edid").write_bytes(blob)
        (drm / connector / "status").write_text(status + "\n")
    assert [p.connector for p in read_panels(tmp_path)] == ["card0-eDP-1", "card0-HDMI-A-1"]


def test_power_state_reads_battery_charge_and_charger() -> None:
    state = power_state_of(
        [
            (FIXTURES / "host/power_supply/BAT0-uevent-lenovo-l14m4p23-charging.txt").read_text(),
            text("power_supply/ACAD-udevadm-offline.txt"),
        ]
    )
    (battery,) = state.batteries
    assert (battery.status, battery.energy_wh, battery.facts.health_percent) == (
        "Charging",
        26.66,
        87.1,
    )
    assert state.charger_online is False


def test_a_desktop_has_no_battery_and_no_charger(tmp_path: Path) -> None:
    state = read_power_state(tmp_path / "power_supply")
    assert (state.batteries, state.charger_online) == ([], None)


def test_aplay_lists_cards_and_tells_speakers_from_hdmi() -> None:
    devices = parse_aplay_list(text("aplay/desktop-pch-alc887-nvidia-hdmi.txt"))
    assert [d.hw for d in devices] == ["hw:0,0", "hw:0,1", "hw:1,3", "hw:1,7", "hw:1,8"]
    assert [d.name for d in speakers(devices)] == ["ALC887-VD Analog", "ALC887-VD Digital"]
    ati = parse_aplay_list(text("aplay/puppy-hda-ati-sb-alc883.txt"))
    assert [d.card_name for d in speakers(ati)] == ["HDA ATI SB", "HDA ATI SB"]
    assert parse_aplay_list("aplay: device_list:274: no soundcards found...\n") == []


def test_v4l2_lists_usb_cameras_and_leaves_out_codecs() -> None:
    laptop = parse_v4l2_devices(text("v4l2/laptop-integrated-webcam-and-usb-4k.txt"))
    assert [(c.name, c.video_node) for c in laptop] == [
        ("Integrated_Webcam_HD: Integrate", "/dev/video0"),
        ("4K USB Camera: 4K USB Camera", "/dev/video2"),
    ]
    (usb,) = parse_v4l2_devices(text("v4l2/usb-camera-041e-401f.txt"))
    assert usb.bus == "usb-0000:00:13.1-1"
    assert parse_v4l2_devices(text("v4l2/raspberry-pi-codecs-and-unicam.txt")) == []


def test_iw_lists_interfaces_and_counts_networks_seen() -> None:
    interfaces = parse_iw_dev(text("iw/dev-two-phys-b43-rt2800usb.txt"))
    assert [(i.phy, i.name, i.kind) for i in interfaces] == [
        ("phy1", "wlan1", "managed"),
        ("phy0", "wlan0", "managed"),
    ]
    assert count_scan_networks(text("iw/scan-26-networks.txt")) == 26
    assert count_scan_networks(text("iw/scan-2-networks.txt")) == 2
    assert parse_iw_dev("") == [] and count_scan_networks("") == 0


def test_memtester_pass_and_failure() -> None:
    passed = parse_memtester(text("memtester/ubuntu20-32M-1-passed.txt"))
    assert passed.passed and (passed.version, passed.megabytes_locked) == ("4.3.0", 32)
    assert (passed.loops_started, passed.patterns_ok, passed.failures) == (1, 18, 0)
    failed = parse_memtester(text("memtester/allwinner-1400M-solid-bits-failure.txt"))
    assert not failed.passed and failed.failures == 4
    assert failed.failed_patterns == ["Solid Bits"] and not failed.done


def test_bluetooth_and_wired_links_from_sysfs(tmp_path: Path) -> None:
    (tmp_path / "class" / "bluetooth" / "hci0").mkdir(parents=True)
    net = tmp_path / "class" / "net"
    for name, kind, carrier, hardware, wireless in (
        ("enp0s31f6", "1", "1", True, False),
        ("wlp2s0", "1", "0", True, True),
        ("lo", "772", "1", False, False),
        ("docker0", "1", "0", False, False),
    ):
        (net / name).mkdir(parents=True)
        (net / name / "type").write_text(kind + "\n")
        (net / name / "carrier").write_text(carrier + "\n")
        (net / name / "speed").write_text("1000\n")
        if hardware:
            (net / name / "device").mkdir()
        if wireless:
            (net / name / "wireless").mkdir()
    assert bluetooth_adapters(tmp_path) == ["hci0"]
    assert [(w.name, w.carrier, w.speed_mbps) for w in wired_links(tmp_path)] == [
        ("enp0s31f6", True, 1000)
    ]


def test_every_fixture_is_listed_with_its_source() -> None:
    listed = (FIXTURES / "functions/SOURCES.md").read_text()
    files = [p.relative_to(FUNCTIONS).as_posix() for p in FUNCTIONS.rglob("*.txt")]
    assert files and [f for f in files if f"| {f} |" not in listed] == []


def test_usb_ports_are_the_laptops_own_ports() -> None:
    # Kernel names of USB devices: bus-port, then ports behind hubs; root hubs and
    # interfaces are not plugged devices.
    assert [port_of(n) for n in ("1-2", "3-1.4", "1-10.2.1", "usb1", "1-2:1.0")] == [
        "1-2", "3-1", "1-10", None, None,
    ]  # fmt: skip
