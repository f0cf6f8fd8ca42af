"""Boot 1 ("bench"), run inside the VM: discovery, SMART, the firmware-purge honest path,
wipes (SATA, NVMe, failing sectors), refusals (the live stick, a device-mapper holder).

Each step's output is saved as soon as it ends; the host asserts on it (test_bench.py)
and checks the disk images itself once the VM is off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import vmlib

RESULT: dict[str, Any] = {}
PROFILES = Path("/opt/station/profiles/wipe")
SMART_ROLES = ("sata", "nvme", "nvme_crit", "virtio")


def wipe(role: str, profile: str) -> dict[str, Any]:
    report = Path(f"/run/station-vm/wipe-{role}.json")
    run = vmlib.station(
        "wipe",
        vmlib.dev(role),
        "--profile",
        profile,
        "--yes",
        "--json",
        str(report),
        "--no-checkpoint",
        timeout=600,
    )
    run["profile"] = profile
    run["report"] = json.loads(report.read_text()) if report.exists() else None
    return run


def purge_profile() -> str:
    return "nist-purge" if (PROFILES / "nist-purge.yaml").exists() else "nist-clear"


def disks() -> dict[str, Any]:
    if not vmlib.has_command("disks"):
        return {"missing": True}
    return vmlib.station("disks", "--json")


def smart() -> dict[str, Any]:
    found: dict[str, Any] = {"raw": {}}
    for role in SMART_ROLES:
        # QEMU's own answer, for the record: the verdicts below must agree with it.
        found["raw"][role] = vmlib.run(["smartctl", "-H", vmlib.dev(role)])
    if not vmlib.has_command("smart"):
        found["missing"] = True
        return found
    for role in SMART_ROLES:
        found[role] = vmlib.station("smart", vmlib.dev(role), "--json")
    found["self_test_sata"] = vmlib.station("smart", vmlib.dev("sata"), "--test", "short", "--json")
    return found


def hdparm_security_erase() -> dict[str, Any]:
    """What QEMU does with ATA SECURITY ERASE, independently of Station (docs/testing.md):
    hdparm exits 0 although the drive aborted it and the data stays."""
    dev = vmlib.dev("sata")
    mark = b"STATION-WATERMARK" * 30
    with open(dev, "r+b", buffering=0) as disk:
        disk.seek(1024 * 1024)
        disk.write(mark.ljust(512, b"!"))
    set_pass = vmlib.run(["hdparm", "--user-master", "u", "--security-set-pass", "p", dev])
    erase = vmlib.run(["hdparm", "--user-master", "u", "--security-erase", "p", dev])
    with open(dev, "rb", buffering=0) as disk:
        disk.seek(1024 * 1024)
        still_there = disk.read(512).startswith(mark)
    return {
        "set_pass": set_pass,
        "erase": erase,
        "data_still_there": still_there,
        "identify": vmlib.run(["hdparm", "-I", dev]),
    }


def station_security_erase() -> dict[str, Any]:
    """Station's own SECURITY ERASE on the emulated drive: it must not report it done."""
    from station.devices.ata import security_erase
    from station.devices.runner import SubprocessRunner

    dev = vmlib.dev("sata")
    mark = b"STATION-WATERMARK-2" * 20
    with open(dev, "r+b", buffering=0) as disk:
        disk.seek(2 * 1024 * 1024)
        disk.write(mark.ljust(512, b"!"))
    outcome = security_erase(dev, SubprocessRunner())
    with open(dev, "rb", buffering=0) as disk:
        disk.seek(2 * 1024 * 1024)
        still_there = disk.read(512).startswith(mark)
    return {
        "done": outcome.done,
        "detail": outcome.detail,
        "security_disabled_afterwards": outcome.security_disabled_afterwards,
        "commands": [" ".join(e.argv) for e in outcome.evidence],
        "data_still_there": still_there,
    }


def nvme_format() -> dict[str, Any]:
    """Station's Format NVM on the emulated controller (the critical-warning one, which no
    other step writes): SES=2 must be refused because FNA denies crypto erase, SES=1 runs."""
    from station.devices.nvme import format_nvm, read_capabilities
    from station.devices.runner import SubprocessRunner

    runner = SubprocessRunner()
    dev = vmlib.dev("nvme_crit")
    caps, _evidence = read_capabilities(dev, runner)
    found: dict[str, Any] = {"caps": caps.model_dump(mode="json")}
    for ses in (2, 1):
        outcome = format_nvm(dev, runner, ses, caps)
        found[f"ses{ses}"] = {
            "done": outcome.done,
            "detail": outcome.detail,
            "commands": [e.argv for e in outcome.evidence],
        }
    return found


def nvme_namespaces() -> dict[str, Any]:
    """A controller with two namespaces: purge of the first must not reach the second.
    Both namespaces carry the controller's serial, so the agent found one of them."""
    import re

    first = re.sub(r"n\d+$", "n1", vmlib.dev("nvme_ns"))
    second = re.sub(r"n\d+$", "n2", first)
    found: dict[str, Any] = {
        "first": first,
        "second": second,
        "second_exists": Path(second).exists(),
        "id_ctrl": vmlib.run(["nvme", "id-ctrl", first, "-o", "json"]),
    }
    report = Path("/run/station-vm/wipe-nvme_ns.json")
    found["wipe"] = vmlib.station(
        "wipe", first, "--profile", purge_profile(), "--yes", "--json", str(report),
        "--no-checkpoint", timeout=600,
    )  # fmt: skip
    found["report"] = json.loads(report.read_text()) if report.exists() else None
    return found


def dm_holder() -> dict[str, Any]:
    dev = vmlib.dev("virtio")
    sectors = int(Path(f"/sys/block/{Path(dev).name}/size").read_text())
    create = vmlib.run(
        ["dmsetup", "create", "stn-holder"], input_text=f"0 {sectors} linear {dev} 0\n"
    )
    found: dict[str, Any] = {
        "create": create,
        "holders": sorted(p.name for p in Path(f"/sys/block/{Path(dev).name}/holders").iterdir()),
    }
    found["wipe"] = vmlib.station("wipe", dev, "--yes", "--no-checkpoint")
    if vmlib.has_command("disks"):
        found["disks"] = vmlib.station("disks", "--json")
    found["remove"] = vmlib.run(["dmsetup", "remove", "stn-holder"])
    return found


def main() -> None:
    RESULT["devices"] = vmlib.disks()
    vmlib.run_step(RESULT, "disks", disks)
    vmlib.run_step(RESULT, "smart", smart)
    vmlib.run_step(RESULT, "nvme_format", nvme_format)
    vmlib.run_step(RESULT, "hdparm_security_erase", hdparm_security_erase)
    vmlib.run_step(RESULT, "station_security_erase", station_security_erase)
    vmlib.run_step(
        RESULT,
        "stick_refused",
        lambda: vmlib.station("wipe", vmlib.dev("stick"), "--yes", "--no-checkpoint"),
    )
    vmlib.run_step(RESULT, "dm_holder", dm_holder)
    vmlib.run_step(RESULT, "nvme_namespaces", nvme_namespaces)
    vmlib.run_step(RESULT, "wipe_sata", lambda: wipe("sata", purge_profile()))
    vmlib.run_step(RESULT, "wipe_nvme", lambda: wipe("nvme", purge_profile()))
    vmlib.run_step(RESULT, "wipe_bad", lambda: wipe("bad", "nist-clear"))


if __name__ == "__main__":
    main()
