"""A classroom network on the host, made of network namespaces (ip netns).

    host (the classroom server) ── veth ──┐
                                          switch namespace: a Linux bridge
    laptop namespaces 1..N ─── veth ──────┘   (one port per laptop: `cut(i)` sets it down)

The server side stays in the host's namespace, as the issue asks; each laptop's Station
runs inside its own namespace (`ip netns exec`), so its multicast and its HTTP fallback
both cross its own switch port. Names and the subnet come from the test's pid, so
parallel runs do not meet. IGMP snooping is off on the bridge: with it on and no querier
the kernel may stop forwarding the group, as on a managed switch (docs/classroom.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def ip(*argv: str, check: bool = True) -> None:
    done = subprocess.run(["ip", *argv], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)}: {done.stderr.strip()}")


def netns_reason() -> str | None:
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "udp-sender", "udp-receiver"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (iproute2, udpcast)"
    probe = f"stprobe{os.getpid() % 100000}"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return f"cannot make a network namespace here: {done.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    return None


@dataclass
class ClassroomNet:
    laptops: int
    tag: str = field(default_factory=lambda: f"st{os.getpid() % 100000}")

    @property
    def subnet(self) -> str:
        return f"10.231.{os.getpid() % 250}"

    @property
    def server_ip(self) -> str:
        return f"{self.subnet}.1"

    @property
    def host_if(self) -> str:
        return f"{self.tag}h"

    @property
    def switch(self) -> str:
        return f"{self.tag}-sw"

    def laptop_ns(self, index: int) -> str:
        return f"{self.tag}-pc{index}"

    def up(self) -> None:
        ip("netns", "add", self.switch)
        ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        ip("-n", self.switch, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
        ip("-n", self.switch, "link", "set", "br0", "up")
        ip("link", "add", self.host_if, "type", "veth", "peer", "name", "srv", "netns", self.switch)
        ip("-n", self.switch, "link", "set", "srv", "master", "br0", "up")
        # `brd +`: udpcast finds its peers through the interface's broadcast address.
        ip("addr", "add", f"{self.server_ip}/24", "brd", "+", "dev", self.host_if)
        ip("link", "set", self.host_if, "up")
        for index in range(1, self.laptops + 1):
            ns = self.laptop_ns(index)
            ip("netns", "add", ns)
            ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", f"p{index}",
               "netns", self.switch)  # fmt: skip
            ip("-n", self.switch, "link", "set", f"p{index}", "master", "br0", "up")
            ip("-n", ns, "addr", "add", f"{self.subnet}.{10 + index}/24", "brd", "+", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            ip("-n", ns, "link", "set", "lo", "up")

    def cut(self, index: int, down: bool) -> None:
        """The laptop's switch port goes down (cable pulled) or comes back."""
        ip("-n", self.switch, "link", "set", f"p{index}", "down" if down else "up")

    def run_in(self, index: int) -> list[str]:
        return ["ip", "netns", "exec", self.laptop_ns(index)]

    def down(self) -> None:
        ip("link", "del", self.host_if, check=False)
        for index in range(1, self.laptops + 1):
            ip("netns", "del", self.laptop_ns(index), check=False)
        ip("netns", "del", self.switch, check=False)


@contextmanager
def classroom_net(laptops: int) -> Iterator[ClassroomNet]:
    """The network up for a test, and down afterwards (also what a killed earlier run of
    this pid may have left before it)."""
    network = ClassroomNet(laptops=laptops)
    network.down()
    network.up()
    try:
        yield network
    finally:
        network.down()
