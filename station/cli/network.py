"""`station network wifi-config --bench-profile banc.yaml`: the wpa_supplicant
configuration for the bench profile's `wifi:` section, on stdout (empty when the profile
has none). The live stick's station-network runs it at boot; a supervisor can run it to
check what the bench will join."""

from __future__ import annotations

import argparse
from pathlib import Path

from station.domain.bench_profile import BenchProfile, WifiNetwork
from station.yamlfile import load_model


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "network",
        help="the bench profile's network settings for the live stick",
        description="Print the wpa_supplicant configuration for the bench profile's Wi-Fi.",
    )
    parser.add_argument("action", choices=["wifi-config"])
    parser.add_argument("--bench-profile", type=Path, required=True, metavar="FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    wifi = load_model(args.bench_profile, BenchProfile).wifi
    if wifi is not None:
        print(wpa_supplicant_config(wifi), end="")
    return 0


def wpa_supplicant_config(wifi: WifiNetwork) -> str:
    """A wpa_supplicant.conf joining `wifi`. The SSID is written in hex and the
    passphrase as its derived PSK (what wpa_passphrase prints), so no quoting of the
    profile's text can break the file."""
    ssid_hex = wifi.ssid.encode().hex()
    lines = ["ctrl_interface=/run/wpa_supplicant", "update_config=0", "", "network={"]
    lines.append(f"\tssid={ssid_hex}")
    if wifi.passphrase is None:
        lines.append("\tkey_mgmt=NONE")
    elif '"' in wifi.passphrase or "\\" in wifi.passphrase:
        # WPA3 (SAE) needs the passphrase itself in a quoted string, which cannot hold
        # these characters: such a network is joined with WPA2 only.
        lines.append("\tkey_mgmt=WPA-PSK WPA-PSK-SHA256")
        lines.append(f"\tpsk={wpa_psk(wifi.ssid, wifi.passphrase)}")
    else:
        lines.append("\tkey_mgmt=WPA-PSK WPA-PSK-SHA256 SAE")
        lines.append(f"\tpsk={wpa_psk(wifi.ssid, wifi.passphrase)}")
        lines.append(f'\tsae_password="{wifi.passphrase}"')
        lines.append("\tieee80211w=1")
    lines.append("}")
    return "\n".join(lines) + "\n"


def wpa_psk(ssid: str, passphrase: str) -> str:
    """IEEE 802.11i PSK: PBKDF2-HMAC-SHA1(passphrase, ssid, 4096, 32 bytes), in hex."""
    import hashlib

    return hashlib.pbkdf2_hmac("sha1", passphrase.encode(), ssid.encode(), 4096, 32).hex()
