"""Whether this machine has a network at all, to tell « réseau absent » (no cable, no
Wi-Fi, no DHCP answer) from « serveur injoignable » (a network, but no inventory on it).

The test: a route through an interface other than loopback, as an address from DHCP (or
a fixed one) creates, default route or not — a workshop LAN may have no gateway at all,
and QEMU's restricted user network gives none. IPv6 link-local (fe80::/10) and multicast
(ff00::/8) routes exist on every interface that is merely up, cable or not: they do not
count.
"""

from __future__ import annotations

from pathlib import Path

PROC_NET = Path("/proc/net")
RTF_UP = 0x1


def network_present(proc_net: Path = PROC_NET) -> bool:
    """True when the kernel routes somewhere through an interface that is not loopback."""
    return _ipv4_route(proc_net / "route") or _ipv6_route(proc_net / "ipv6_route")


def _ipv4_route(path: Path) -> bool:
    # Iface Destination Gateway Flags ...: any route up on an interface other than lo.
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        if len(fields) > 3 and fields[0] != "lo" and int(fields[3], 16) & RTF_UP:
            return True
    return False


def _ipv6_route(path: Path) -> bool:
    # dest prefixlen src srclen nexthop metric refcnt use flags iface.
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        if len(fields) != 10 or fields[9] == "lo" or not int(fields[8], 16) & RTF_UP:
            continue
        link_local = fields[0].startswith("fe8") and int(fields[1], 16) >= 10
        multicast = fields[0].startswith("ff")
        if not link_local and not multicast:
            return True
    return False
