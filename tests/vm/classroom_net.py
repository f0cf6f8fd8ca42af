"""The classroom network of the VM tier's netboot tests, made of namespaces: a bridge
(the switch, multicast snooping off as docs/classroom.md asks of a switch without an
IGMP querier), the "school" DHCP server's namespace (.254), the classroom server's (.1),
and one tap per VM laptop on the bridge."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from station.imaging import frame_list
from tests.block.netns_support import ip, netns_reason
from tests.vm.conftest import vm_tier_reason

if TYPE_CHECKING:
    from rootfs import BuiltRootfs

REPO = Path(__file__).resolve().parents[2]

NETBOOT_MARKS = [
    pytest.mark.vm,
    pytest.mark.skipif(bool(netns_reason()), reason=str(netns_reason())),
    pytest.mark.skipif(
        not Path("/usr/lib/ipxe/ipxe.lkrn").is_file(), reason="Debian's ipxe package is missing"
    ),
    pytest.mark.skipif(not Path("/dev/net/tun").exists(), reason="no /dev/net/tun for a tap"),
]


@contextmanager
def bridged_classroom(
    tag: str, subnet: str, taps: Iterable[str], *, server_on_host: bool = False
) -> Iterator[dict[str, str]]:
    """Namespaces `{tag}-sw|srv|school` on `{subnet}.0/24`; yields role -> namespace, and
    "srv_if", the server's interface. With `server_on_host` the server side is the host's
    own namespace (interface `{tag}h`, role "srv" -> ""), as a workshop's server plugged
    into the classroom switch: processes on the host (the inventory server, the test as
    the supervisor's browser) reach it without `ip netns exec`."""
    roles = ("sw", "school") if server_on_host else ("sw", "srv", "school")
    names = {role: f"{tag}-{role}" for role in roles}
    host_if = f"{tag}h"
    for ns in names.values():
        ip("netns", "del", ns, check=False)
        ip("netns", "add", ns)
    ip("link", "del", host_if, check=False)
    try:
        sw = names["sw"]
        ip("-n", sw, "link", "add", "br0", "type", "bridge")
        ip("-n", sw, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        ip("-n", sw, "link", "set", "br0", "up")
        for role, host in (("srv", 1), ("school", 254)):
            # `brd +`: udpcast finds its peers through the interface's broadcast address.
            if role not in names:  # the server on the host
                ip("link", "add", host_if, "type", "veth", "peer", "name", role, "netns", sw)
                ip("-n", sw, "link", "set", role, "master", "br0", "up")
                ip("addr", "add", f"{subnet}.{host}/24", "brd", "+", "dev", host_if)
                ip("link", "set", host_if, "up")
                continue
            ns = names[role]
            ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", role, "netns", sw)
            ip("-n", sw, "link", "set", role, "master", "br0", "up")
            ip("-n", ns, "addr", "add", f"{subnet}.{host}/24", "brd", "+", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")
        for tap in taps:
            ip("-n", sw, "tuntap", "add", tap, "mode", "tap")
            ip("-n", sw, "link", "set", tap, "master", "br0", "up")
        yield {**names, "srv": names.get("srv", ""),
               "srv_if": host_if if server_on_host else "eth0"}  # fmt: skip
    finally:
        ip("link", "del", host_if, check=False)
        for ns in names.values():
            ip("netns", "del", ns, check=False)


def served_live_folder(tmp_path: Path) -> tuple[Path, BuiltRootfs]:
    """The classroom server's ROOT with `live/vmlinuz` (the VM tier's kernel, Debian's
    signed one) and a placeholder squashfs, skipping without the VM tier; (ROOT, the VM
    tier's build). The caller puts an initrd at ROOT/live/initrd.img."""
    reason = vm_tier_reason()
    if reason:
        pytest.skip(reason)
    sys.path.insert(0, str(REPO / "scripts" / "vm"))
    from rootfs import ensure_rootfs

    built = ensure_rootfs()
    root = tmp_path / "srv"
    (root / "live").mkdir(parents=True)
    (root / "live" / "vmlinuz").symlink_to(built.kernel)
    (root / "live" / "filesystem.squashfs").write_bytes(b"not used by the VM tier's init")
    return root, built


def classroom_serve(
    namespace: str, root: Path, subnet: str, log: Path, *options: str
) -> subprocess.Popen[bytes]:
    """`station classroom serve` on the server's namespace ({subnet}.1, eth0) with
    `options` (port, image, laptops...), its output in `log`. The caller stops it."""
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace, sys.executable, "-m", "station", "classroom",
         "serve", "--root", str(root), "--interface", "eth0", "--address", f"{subnet}.1",
         "--subnet", f"{subnet}.0/24", *options],
        cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def school_dhcp(namespace: str, subnet: str, log: Path) -> subprocess.Popen[bytes]:
    """The school's own DHCP server (a plain dnsmasq giving .100-.150, as the school's
    box would), logging its answers to `log`. The caller stops it."""
    return subprocess.Popen(
        ["ip", "netns", "exec", namespace, "dnsmasq", "--keep-in-foreground",
         "--port=0", "--interface=eth0", "--bind-interfaces", "--pid-file=", "--user=root",
         f"--dhcp-range={subnet}.100,{subnet}.150,255.255.255.0",
         f"--log-facility={log}", "--log-dhcp"],
    )  # fmt: skip


class BoardWatch:
    """Polls the supervisor's board (`/status.json`, from the server's namespace) and keeps
    every state each laptop was seen in: the board keeps only the last word."""

    def __init__(self, netns: str, base_url: str) -> None:
        self.netns, self.base_url = netns, base_url
        self.seen: dict[str, list[str]] = {}
        self.last: list[dict[str, Any]] = []
        self.page = ""  # the supervisor's page (/) as last read after a change
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def fetch(self, path: str) -> str:
        code = (
            "import sys, urllib.request as u; "
            "print(u.urlopen(sys.argv[1], timeout=5).read().decode())"
        )
        done = subprocess.run(
            ["ip", "netns", "exec", self.netns, sys.executable, "-c", code,
             f"{self.base_url}{path}"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        return done.stdout if done.returncode == 0 else ""

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.poll_once()
            self.stop.wait(0.5)

    def poll_once(self) -> None:
        text = self.fetch("status.json")
        if not text:
            return
        rows: list[dict[str, Any]] = json.loads(text)
        changed = rows != self.last
        self.last = rows
        for row in rows:
            states = self.seen.setdefault(row["laptop"], [])
            if not states or states[-1] != row["state"]:
                states.append(row["state"])
        if changed:
            self.page = self.fetch("") or self.page

    def frames(self, laptop: str) -> int:
        row = next((r for r in self.last if r["laptop"] == laptop), {})
        return int(row.get("frames_verified", 0))


def http_frames(ranges: list[list[int]], frames: list[frame_list.CheckedFrame]) -> int:
    """How many frames lie inside the HTTP fallback ranges."""
    spans = [(c.frame.packed_offset, c.frame.packed_offset + c.frame.packed_size) for c in frames]
    return sum(1 for a, b in spans if any(s <= a and b <= e for s, e in ranges))
