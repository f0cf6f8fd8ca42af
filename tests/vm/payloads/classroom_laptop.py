"""Payload of a network-booted classroom laptop (tests/vm/test_classroom_vms.py).

The laptop booted from the classroom server with no stick: its network card gets an
address from the school's DHCP server (busybox udhcpc), then it runs the Station receiver
(`station deploy --multicast eth0`) on its own disk, posting its progress to the server's
board, and sends back its report, its signed journal (exported chain) and its public key,
which the host verifies with `station verify`. Which laptop it is, and which interface
udev named its card, comes from its MAC address (config["laptops"]); the rest from
config.json.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from vmlib import CONFIG, RUN_DIR, dev, event, run, run_step, save, wait_until

UDHCPC_SCRIPT = """#!/bin/sh
# busybox udhcpc calls this with the lease in the environment; `brd +` because udpcast
# finds its peers through the broadcast address (docs/classroom.md).
case "$1" in
deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" brd + dev "$interface" ;;
esac
"""


def card() -> tuple[str, str]:
    """(interface, MAC) of the network card: udev names it (enp0s6 …), the MAC is known."""
    for entry in sorted(Path("/sys/class/net").iterdir()):
        address = (entry / "address").read_text().strip()
        if address in CONFIG["laptops"]:  # type: ignore[operator]
            return entry.name, address
    return "", ""


def network() -> dict[str, object]:
    if not wait_until(lambda: bool(card()[0]), 60):
        raise RuntimeError(f"no card: {sorted(p.name for p in Path('/sys/class/net').iterdir())}")
    iface, mac = card()
    run(["ip", "link", "set", "lo", "up"])
    script = RUN_DIR / "udhcpc.sh"
    script.write_text(UDHCPC_SCRIPT)
    script.chmod(0o755)
    lease = run(["busybox", "udhcpc", "-i", iface, "-f", "-q", "-n", "-t", "10",
                 "-s", str(script)], timeout=120)  # fmt: skip
    address = run(["ip", "-4", "addr", "show", "dev", iface])
    if lease["rc"] != 0:
        raise RuntimeError(f"no DHCP lease: {lease['stdout']}{lease['stderr']}")
    return {"iface": iface, "mac": mac, "addr": address["stdout"], "udhcpc": lease["stdout"][-500:]}


def deploy(laptop: str, iface: str) -> dict[str, object]:
    profile = RUN_DIR / "classe.yaml"
    profile.write_text(str(CONFIG["profile"]))
    report = RUN_DIR / "report.json"
    event("deploying")
    done = run(
        ["station", "deploy", dev("disk"), "--image", str(profile), "--yes",
         "--asset-tag", laptop, "--multicast", iface,
         "--portbase", str(CONFIG["portbase"]),
         "--start-timeout", str(CONFIG["start_timeouts"][laptop]),
         "--status-url", str(CONFIG["server"]), "--json", str(report)],
        timeout=float(CONFIG.get("deploy_timeout_s", 900)),
    )  # fmt: skip
    subprocess.run(["sync"], check=False)
    return {
        "rc": done["rc"],
        "tail": (done["stdout"] + done["stderr"])[-3000:],
        "report": json.loads(report.read_text()) if report.exists() else None,
    }


def records() -> dict[str, object]:
    chain = RUN_DIR / "chain.jsonl"
    exported = run(["station", "journal", "export", str(chain)])
    key = run(["station", "journal", "key"])
    return {
        "rc": [exported["rc"], key["rc"]],
        "chain": chain.read_text() if chain.exists() else "",
        "key": key["stdout"],
    }


result: dict[str, object] = {}
run_step(result, "network", network)
iface, mac = card()
laptop = str(CONFIG["laptops"].get(mac, "?"))  # type: ignore[union-attr]
result["laptop"] = laptop
if "error" not in result["network"]:  # type: ignore[operator]
    run_step(result, "deploy", lambda: deploy(laptop, iface))
    run_step(result, "records", records)
save(result)
