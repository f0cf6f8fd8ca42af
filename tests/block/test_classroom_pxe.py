"""`station classroom serve` on a network of two namespaces: the server (dnsmasq as
proxy-DHCP + TFTP, the HTTP server) and a laptop that asks what a network boot asks.

The laptop's probe (pxe_probe.py) sends the PXE DHCPDISCOVER of a BIOS firmware, then the
one iPXE sends (user class iPXE, option 175), each followed by the PXE boot-server
request on port 4011: the firmware must be given Debian's undionly.kpxe, iPXE the
boot.ipxe script; the TFTP read must give undionly.kpxe's bytes. Over HTTP the laptop
gets boot.ipxe (kernel, initrd, live-boot fetch= on this server) and the live files with
ranges. No address is handed out: the proxy offers carry none.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.classroom.pxe import IPXE_DIR
from tests.block.netns_support import ip, netns_reason

pytestmark = [
    pytest.mark.block,
    pytest.mark.skipif(bool(netns_reason()), reason=str(netns_reason())),
    pytest.mark.skipif(
        not (IPXE_DIR / "undionly.kpxe").is_file(), reason="Debian's ipxe package is missing"
    ),
]

REPO = Path(__file__).resolve().parents[2]
SUBNET = f"10.232.{os.getpid() % 250}"


@pytest.fixture
def pair() -> Iterator[tuple[str, str]]:
    server, laptop = f"stp{os.getpid() % 100000}-srv", f"stp{os.getpid() % 100000}-pc"
    for ns in (server, laptop):
        ip("netns", "del", ns, check=False)
        ip("netns", "add", ns)
    ip("-n", server, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", laptop)
    for ns, host in ((server, 1), (laptop, 50)):
        ip("-n", ns, "addr", "add", f"{SUBNET}.{host}/24", "brd", "+", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", laptop, "route", "add", "default", "dev", "eth0")
    try:
        yield server, laptop
    finally:
        for ns in (server, laptop):
            ip("netns", "del", ns, check=False)


def in_ns(ns: str, *argv: str) -> str:
    done = subprocess.run(
        ["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_serve_answers_a_network_boot(pair: tuple[str, str], tmp_path: Path) -> None:
    server_ns, laptop_ns = pair
    root = tmp_path / "srv"
    (root / "live").mkdir(parents=True)
    squashfs = os.urandom(300_000)
    (root / "live" / "filesystem.squashfs").write_bytes(squashfs)
    for name in ("vmlinuz", "initrd.img"):
        (root / "live" / name).write_bytes(name.encode())
    argv = [
        "ip", "netns", "exec", server_ns, sys.executable, "-m", "station", "classroom", "serve",
        "--root", str(root), "--interface", "eth0", "--address", f"{SUBNET}.1",
        "--subnet", f"{SUBNET}.0/24", "--port", "8080", "--image", "classe", "--laptops", "2",
    ]  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=log)
    try:
        base = f"http://{SUBNET}.1:8080"
        fetch = (
            "import hashlib, sys, time, urllib.request as u\n"
            "for _ in range(100):\n"
            "    try:\n"
            "        r = u.Request(sys.argv[1], headers={'Range': sys.argv[2]})\n"
            "        data = u.urlopen(r, timeout=5).read()\n"
            "        digest = hashlib.sha256(data).hexdigest()\n"
            "        print(digest if sys.argv[3:] else data.decode()); break\n"
            "    except OSError: time.sleep(0.2)\n"
        )
        script = in_ns(laptop_ns, sys.executable, "-c", fetch, f"{base}/tftp/boot.ipxe", "bytes=0-")
        probe = json.loads(
            in_ns(
                laptop_ns,
                sys.executable,
                str(REPO / "tests/block/pxe_probe.py"),
                f"{SUBNET}.1",
                "undionly.kpxe",
                f"{SUBNET}.50",
            )
        )
        part = in_ns(laptop_ns, sys.executable, "-c", fetch,
                     f"{base}/live/filesystem.squashfs", "bytes=1000-1999", "sha")  # fmt: skip
        page = in_ns(laptop_ns, sys.executable, "-c", fetch, f"{base}/", "bytes=0-")
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=30)
    logged = (tmp_path / "serve.log").read_text()
    assert probe["firmware"] == {**probe["firmware"], "offer": True, "file": "undionly.kpxe"}
    assert probe["ipxe"]["file"] == "boot.ipxe", probe
    want = hashlib.sha256((IPXE_DIR / "undionly.kpxe").read_bytes()).hexdigest()
    assert probe["tftp_sha256"] == want
    assert script.startswith("#!ipxe")
    assert f"kernel {base}/live/vmlinuz boot=live" in script
    assert f"fetch={base}/live/filesystem.squashfs" in script
    assert part.strip() == hashlib.sha256(squashfs[1000:2000]).hexdigest()
    assert "Déploiement en salle" in page
    assert "en attente des portables : 0/2" in logged
    assert code == 4  # stopped by the supervisor before the session ended
    time.sleep(0.5)
    dnsmasq_log = (root / "dnsmasq.log").read_text()
    assert "proxy on subnet" in dnsmasq_log and "sent " in dnsmasq_log
