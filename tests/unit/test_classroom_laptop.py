"""What a network-booted laptop does by itself (station/classroom/laptop.py): the session
read from its kernel line, the one disk it may image (over fake /sys trees laid out like a
real laptop's, judged by Station's own safety checks), the interface that reaches the
server (/proc/net/route), the image profile fetched from a real classroom server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from station.classroom.laptop import (
    SessionBoot,
    choose_disk,
    fetch_image_profile,
    route_interface,
)
from station.classroom.pxe import PxeSettings, boot_script
from station.classroom.session import ClassroomServer
from station.devices.safety import TargetInspection, inspect_devnum
from station.errors import ConfigError, SyncError
from tests.unit.sysfs_tree import ATA_CHAIN, USB_CHAIN, FakeHost

SERVER = "http://192.168.50.2:8080/"
NETBOOT = (
    "BOOT_IMAGE=http://192.168.50.2:8080/live/vmlinuz boot=live "
    "fetch=http://192.168.50.2:8080/live/filesystem.squashfs station.marker=0000-0000 "
    f"station.classroom={SERVER} station.image=primtux-2026 station.portbase=9100 "
    "initrd=initrd.img"
)


@pytest.fixture
def laptop(tmp_path: Path) -> FakeHost:
    """A laptop booted from the classroom server: its SATA disk, a USB stick someone left
    plugged in, the system in RAM (overlay root, nothing mounted from a disk)."""
    host = FakeHost(tmp_path)
    host.disk("sda", 8, 0, chain=ATA_CHAIN.format(n=0))
    host.disk("sdb", 8, 16, chain=USB_CHAIN.format(n=1, h=6), removable=True, rotational=False)
    host.mount(0, 30, "/", source="overlay")
    host.cmdline = NETBOOT
    host.live()
    return host


def inspections(host: FakeHost, disks: list[tuple[str, int, int]]) -> list[TargetInspection]:
    host.write()
    return [inspect_devnum(f"/dev/{n}", major, minor, **host.roots()) for n, major, minor in disks]


def test_the_only_internal_disk_is_chosen_never_the_usb_stick(laptop: FakeHost) -> None:
    found = inspections(laptop, [("sda", 8, 0), ("sdb", 8, 16)])
    assert all(i.eligibility.eligible for i in found)  # Station would erase either
    assert choose_disk(found).path == "/dev/sda"  # the session only takes the internal one


def test_two_internal_disks_write_nothing_and_say_why(laptop: FakeHost) -> None:
    laptop.disk("sdc", 8, 32, chain=ATA_CHAIN.format(n=1))
    choice = choose_disk(inspections(laptop, [("sda", 8, 0), ("sdb", 8, 16), ("sdc", 8, 32)]))
    assert choice.path is None
    assert "plusieurs disques internes" in choice.why_fr
    assert (
        "sda" in choice.why_fr and "sdc" in choice.why_fr and "rien n'a été écrit" in choice.why_fr
    )


def test_a_refused_internal_disk_is_not_imaged(laptop: FakeHost) -> None:
    laptop.partition("sda", 1, 8, 1)
    laptop.mount(8, 1, "/mnt/windows")  # mounted: Station's checks refuse it
    choice = choose_disk(inspections(laptop, [("sda", 8, 0), ("sdb", 8, 16)]))
    assert choice.path is None
    assert "le disque interne n'a pas passé les contrôles" in choice.why_fr
    assert "monté" in choice.why_fr  # Station's own reason, in French


def test_two_internal_disks_one_refused_still_write_nothing(laptop: FakeHost) -> None:
    """The refused one may be the disk the workshop meant: the session does not guess."""
    laptop.disk("sdc", 8, 32, chain=ATA_CHAIN.format(n=1))
    laptop.partition("sdc", 1, 8, 33)
    laptop.mount(8, 33, "/mnt/data")  # mounted: Station's checks refuse it
    found = inspections(laptop, [("sda", 8, 0), ("sdb", 8, 16), ("sdc", 8, 32)])
    assert [i.eligibility.eligible for i in found] == [True, True, False]
    choice = choose_disk(found)
    assert choice.path is None
    assert "plusieurs disques internes" in choice.why_fr and "sdc" in choice.why_fr


def test_no_internal_disk(laptop: FakeHost) -> None:
    choice = choose_disk(inspections(laptop, [("sdb", 8, 16)]))
    assert choice.path is None and "aucun disque interne trouvé" in choice.why_fr


def test_the_session_is_read_from_the_kernel_line() -> None:
    session = SessionBoot.from_cmdline(NETBOOT)
    assert session is not None
    assert session.classroom_url == SERVER and session.server_host == "192.168.50.2"
    assert session.image == "primtux-2026" and session.portbase == 9100
    assert session.inventory_url is None
    # A stick's boot has no session: the unit's condition and this both say no.
    assert SessionBoot.from_cmdline("boot=live station.marker=1A2B-3C4D quiet") is None
    with pytest.raises(ConfigError, match="adresse du serveur invalide"):
        SessionBoot.from_cmdline("station.classroom=ftp://x/")


def test_boot_ipxe_names_the_image_and_the_port_base() -> None:
    settings = PxeSettings(
        "eno1", "192.168.50.2", 8080, "192.168.50.0/24", image="primtux-2026", portbase=9100
    )
    kernel = next(line for line in boot_script(settings).splitlines() if line.startswith("kernel"))
    session = SessionBoot.from_cmdline(kernel)
    assert session is not None and session.image == "primtux-2026" and session.portbase == 9100
    with pytest.raises(ConfigError, match="nom d'image invalide"):
        PxeSettings("eno1", "192.168.50.2", 8080, "192.168.50.0/24", image="a b")


# /proc/net/route as Linux prints it (net/ipv4/fib_trie.c, fib_route_seq_show): addresses
# in host byte order, here little-endian x86. Default route via enp0s3, 10.234.7.0/24 on
# enp0s6, 192.168.50.0/24 on enp0s6 (metric 100) and eth9 (metric 600).
ROUTES = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
enp0s3\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
enp0s6\t0007EA0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth9\t0032A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
enp0s6\t0032A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
"""


def test_the_interface_that_reaches_the_server(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "route").write_text(ROUTES)
    assert route_interface("10.234.7.1", tmp_path) == "enp0s6"
    assert route_interface("192.168.50.2", tmp_path) == "enp0s6"  # lowest metric
    assert route_interface("8.8.8.8", tmp_path) == "enp0s3"  # the default route
    (tmp_path / "net" / "route").write_text(ROUTES.splitlines()[0] + "\n")
    assert route_interface("10.234.7.1", tmp_path) is None


def test_the_image_profile_comes_from_the_server(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    (root / "images" / "primtux-2026").mkdir(parents=True)
    (root / "images" / "primtux-2026.yaml").write_text(
        "name: primtux-2026\nformat: station-raw-zstd\nmanifest: {}\n"
    )
    with ClassroomServer(root, "127.0.0.1", 0) as server:
        session = SessionBoot.from_cmdline(f"station.classroom={server.url}")
        assert session is not None
        saved = fetch_image_profile(session, "primtux-2026", tmp_path / "laptop")
        # No location: the image's folder beside the profile, on the server it came from.
        assert yaml.safe_load(saved.read_text())["location"] == (
            f"{server.url}images/primtux-2026/"
        )
        with pytest.raises(SyncError, match="ne donne pas le profil de l'image absente"):
            fetch_image_profile(session, "absente", tmp_path / "laptop")
