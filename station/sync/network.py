"""Whether this machine has a network at all, to tell « réseau absent » (no cable, no
Wi-Fi, no DHCP answer) from « serveur injoignable » (a network, but no inventory on it).

A route to somewhere else (IPv4 or IPv6 default route) is the test: an interface that is
up with only a link-local address cannot reach a workshop's server either.
"""

from __future__ import annotations

from pathlib import Path

PROC_NET = Path("/proc/net")


def network_present(proc_net: Path = PROC_NET) -> bool:
    """True when the kernel has a default route off this machine (not via loopback)."""
    return _ipv4_default(proc_net / "route") or _ipv6_default(proc_net / "ipv6_route")


def _ipv4_default(path: Path) -> bool:
    # Iface Destination Gateway Flags ...: destination 00000000 and flag RTF_UP (0x1).
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        default = len(fields) > 3 and fields[0] != "lo" and fields[1] == "00000000"
        if default and int(fields[3], 16) & 0x1:
            return True
    return False


def _ipv6_default(path: Path) -> bool:
    # dest prefixlen src srclen nexthop metric refcnt use flags iface: ::/0, not lo.
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        default = len(fields) == 10 and fields[0] == "0" * 32 and fields[1] == "00"
        if default and fields[9] != "lo" and int(fields[8], 16) & 0x1:
            return True
    return False
