"""What the live stick's network pieces decide: is there a network at all (the sync
badge's « réseau absent »), and the wpa_supplicant file made from the bench profile."""

from __future__ import annotations

from pathlib import Path

from station.cli.network import wpa_psk, wpa_supplicant_config
from station.domain.bench_profile import WifiNetwork
from station.sync.network import network_present

ROUTE_HEAD = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def proc_net(tmp_path: Path, route: str = "", ipv6: str = "") -> Path:
    (tmp_path / "route").write_text(ROUTE_HEAD + route)
    (tmp_path / "ipv6_route").write_text(ipv6)
    return tmp_path


def test_a_default_route_is_a_network(tmp_path: Path) -> None:
    # A DHCP lease on enp0s5 (from a real bookworm guest's /proc/net/route).
    routes = (
        "enp0s5\t00000000\t0202000A\t0003\t0\t0\t1024\t00000000\t0\t0\t0\n"
        "enp0s5\t0002000A\t00000000\t0001\t0\t0\t1024\t00FFFFFF\t0\t0\t0\n"
    )
    assert network_present(proc_net(tmp_path, routes))


def test_an_address_without_a_gateway_is_a_network(tmp_path: Path) -> None:
    # QEMU's restricted user network (and a workshop LAN without a router): DHCP gives
    # 10.0.2.15/24 and no default route; the inventory is on that subnet.
    subnet = "enp0s4\t0002000A\t00000000\t0001\t0\t0\t1024\t00FFFFFF\t0\t0\t0\n"
    assert network_present(proc_net(tmp_path, subnet))


def test_an_interface_that_is_only_up_is_no_network(tmp_path: Path) -> None:
    # No cable: the NIC is up with its IPv6 link-local and multicast routes only.
    ipv6 = (
        "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000100 00000001 00000000 00000001   enp0s5\n"
        "ff000000000000000000000000000000 08 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000100 00000001 00000000 00000001   enp0s5\n"
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"
        "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo\n"
    )
    assert not network_present(proc_net(tmp_path, "", ipv6))
    assert not network_present(tmp_path / "missing")


def test_an_ipv6_default_route_is_a_network(tmp_path: Path) -> None:
    ipv6 = (
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
        "fe800000000000000000000000000001 00000400 00000001 00000000 00000003   wlp2s0\n"
    )
    assert network_present(proc_net(tmp_path, "", ipv6))


def test_the_psk_is_the_one_wpa_passphrase_derives() -> None:
    # IEEE 802.11i-2004 annex H.4 test vector.
    assert wpa_psk("IEEE", "password") == (
        "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"
    )


def test_the_wifi_file_quotes_nothing_from_the_profile() -> None:
    text = wpa_supplicant_config(WifiNetwork(ssid='Atelier "2"', passphrase='mot"de\\passe'))
    assert "ssid=" + b'Atelier "2"'.hex() in text
    assert "sae_password" not in text and "psk=" in text and 'mot"de' not in text
    open_net = wpa_supplicant_config(WifiNetwork(ssid="Libre"))
    assert "key_mgmt=NONE" in open_net
