"""Boot 1, "the bench": every emulated drive, discovery, SMART, purge, wipes, refusals.

One boot runs tests/vm/payloads/bench.py inside the VM; the tests below read its result
and, once QEMU has exited, check the disk image files from the host, independently of
Station (docs/testing.md, "Booting the VM").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import (
    MIB,
    NVME,
    NVME_CRIT,
    SATA,
    STANDARD_BENCH,
    STICK,
    USB,
    VIRTIO,
    VM,
    Drive,
    VMResult,
    blkdebug_eio,
    blocks_with_old_data,
    is_all_zero,
    nonzero_ranges,
)
from rootfs import BuiltRootfs

from tests.vm.vm_support import describe, finished, payload, step

# The first test of a module boots the VM (and may build the rootfs): minutes, not seconds.
pytestmark = [pytest.mark.vm, pytest.mark.timeout(1500)]

SECTOR = 512
# Two failing sectors (reads and writes both fail with EIO), well inside the disk.
BAD_SECTORS = [131072, 393216]
BAD = Drive(
    "bad",
    "virtio",
    "STN-BAD-0001",
    blkdebug=blkdebug_eio(BAD_SECTORS, event="write_aio")
    + blkdebug_eio(BAD_SECTORS, event="read_aio"),
)
# One NVMe controller with two namespaces (docs/sanitization.md, pitfall 8).
NVME_NS = Drive("nvme_ns", "nvme", "STN-NVME-NS02", size=64 * MIB, namespaces=2)
DRIVES = (*STANDARD_BENCH, BAD, NVME_NS)


@dataclass
class Bench:
    vm: VM
    run: VMResult
    before: dict[str, str]  # sha256 of each image before the boot

    @property
    def result(self) -> dict[str, Any] | None:
        return self.run.result

    def image(self, role: str) -> Path:
        return self.vm.images[role]


def sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@pytest.fixture(scope="module")
def bench(vm_rootfs: BuiltRootfs, vm_workdir: Path) -> Bench:
    vm = VM(vm_rootfs, vm_workdir, drives=DRIVES, timeout_s=900)
    before = {role: sha256(path) for role, path in vm.images.items()}
    vm.boot(payload("bench.py"), config={"payload_timeout_s": 800})
    return Bench(vm, finished(vm), before)


# -- smoke: udev inside the VM sees every drive with its identity -------------------------
def test_udev_sees_every_drive_by_serial(bench: Bench) -> None:
    assert bench.result is not None
    assert bench.result["missing_serials"] == [], bench.run.describe()
    assert set(bench.result["devices"]) == {d.role for d in DRIVES}


def test_udev_identity_matches_each_bus(bench: Bench) -> None:
    udev = bench.result["udev"]  # type: ignore[index]
    sata = udev[SATA.serial]
    assert sata["ID_BUS"] == "ata"
    assert sata["ID_SERIAL_SHORT"] == SATA.serial
    assert sata["ID_WWN"] == SATA.wwn
    assert "-ata-" in sata["ID_PATH"]
    for drive in (NVME, NVME_CRIT):
        assert udev[drive.serial]["ID_SERIAL_SHORT"] == drive.serial
        assert udev[drive.serial]["ID_NSID"] == "1"
    for drive in (USB, STICK):
        assert udev[drive.serial]["ID_BUS"] == "usb"
        assert udev[drive.serial]["ID_SERIAL_SHORT"] == drive.serial
    assert udev[VIRTIO.serial]["ID_SERIAL"] == VIRTIO.serial
    assert all(props.get("ID_PATH") for props in udev.values())


# -- station disks --------------------------------------------------------------------
def disks_by_serial(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert run["rc"] == 0, describe(run)
    rows = run["json"]
    assert isinstance(rows, list), describe(run)
    return {row["identity"]["serial"]: row for row in rows}


def test_station_disks_lists_each_drive_with_bus_serial_and_slot(bench: Bench) -> None:
    rows = disks_by_serial(step(bench.result, "disks"))
    expected_bus = {d.serial: d.bus for d in DRIVES}
    assert set(expected_bus) <= set(rows), sorted(rows)
    for serial, bus in expected_bus.items():
        assert rows[serial]["identity"]["bus"] == bus, rows[serial]
    slots = [rows[s]["identity"]["slot"] for s in expected_bus]
    assert all(slots) and len(set(slots)) == len(slots), slots


def test_station_disks_never_offers_the_stick(bench: Bench) -> None:
    rows = disks_by_serial(step(bench.result, "disks"))
    stick = rows[STICK.serial]
    assert stick["eligible"] is False
    assert "boot_medium" in {reason["code"] for reason in stick["reasons"]}, stick
    for drive in (SATA, NVME, USB, VIRTIO):
        assert rows[drive.serial]["eligible"] is True, rows[drive.serial]


def test_wipe_refuses_the_live_stick(bench: Bench) -> None:
    run = step(bench.result, "stick_refused")
    assert run["rc"] == 5, describe(run)
    assert "boot" in run["stderr"].lower(), describe(run)
    assert sha256(bench.image("stick")) == bench.before["stick"]


# -- device-mapper holder ---------------------------------------------------------------
def test_a_device_mapper_holder_makes_the_disk_refused(bench: Bench) -> None:
    found = step(bench.result, "dm_holder")
    assert found["create"]["rc"] == 0, describe(found["create"])
    assert found["holders"], "dmsetup made no holder"
    assert found["wipe"]["rc"] == 5, describe(found["wipe"])
    assert found["remove"]["rc"] == 0, describe(found["remove"])
    assert sha256(bench.image("virtio")) == bench.before["virtio"]


def test_station_disks_shows_the_holder_reason(bench: Bench) -> None:
    found = step(bench.result, "dm_holder")
    row = disks_by_serial(found["disks"])[VIRTIO.serial]
    assert row["eligible"] is False
    assert "holders" in {r["code"] for r in row["reasons"]}, row


# -- SMART ------------------------------------------------------------------------------
def test_qemu_reports_the_critical_warning_itself(bench: Bench) -> None:
    raw = step(bench.result, "smart")["raw"]
    assert raw["nvme_crit"]["rc"] & 8, describe(raw["nvme_crit"])  # "disk failing" bit
    assert raw["nvme"]["rc"] & 8 == 0, describe(raw["nvme"])


def smart_verdict(run: dict[str, Any]) -> str:
    assert run["json"] is not None, describe(run)
    return str(run["json"]["verdict"]["verdict"]).upper()


def test_smart_verdicts(bench: Bench) -> None:
    found = step(bench.result, "smart")
    # Exit codes (station smart --help): 0 PASS, 4 FAIL, 6 NOT_SUPPORTED.
    assert smart_verdict(found["nvme_crit"]) == "FAIL", describe(found["nvme_crit"])
    assert found["nvme_crit"]["rc"] == 4, describe(found["nvme_crit"])
    reasons = str(found["nvme_crit"]["json"]["verdict"]["reasons"]).lower()
    assert "critical" in reasons, reasons
    for role in ("nvme", "sata"):
        assert smart_verdict(found[role]) == "PASS", describe(found[role])
        assert found[role]["rc"] == 0, describe(found[role])
    assert smart_verdict(found["virtio"]) == "NOT_SUPPORTED", describe(found["virtio"])
    assert found["virtio"]["rc"] == 6, describe(found["virtio"])


def test_smart_short_self_test_on_sata(bench: Bench) -> None:
    run = step(bench.result, "smart")["self_test_sata"]
    assert run["rc"] == 0, describe(run)
    assert run["json"]["self_test"]["status"] == "passed", describe(run)


# -- firmware purge: the honest path -----------------------------------------------------
def test_qemu_aborts_security_erase_although_hdparm_exits_0(bench: Bench) -> None:
    """The premise of the next test, checked on the real emulated drive."""
    found = step(bench.result, "hdparm_security_erase")
    assert found["erase"]["rc"] == 0, describe(found["erase"])
    assert found["data_still_there"] is True


def test_station_security_erase_is_not_reported_done(bench: Bench) -> None:
    found = step(bench.result, "station_security_erase")
    assert found["done"] is False, found
    assert found["data_still_there"] is True, found
    assert found["detail"], found


def test_purge_on_sata_is_not_claimed_and_falls_back_to_clear(bench: Bench) -> None:
    """QEMU's AHCI drive offers neither SANITIZE nor a security block (and aborts SECURITY
    ERASE anyway): the purge profile must end in a Clear that says why, never `purged`."""
    run = step(bench.result, "wipe_sata")
    report = run["report"]
    assert report is not None, describe(run)
    assert report["result"] in ("cleared", "cleared_with_warnings"), report
    assert run["rc"] in (0, 3), describe(run)
    reasons = " ".join(report["reasons"]).lower()
    assert "purge" in reasons, report["reasons"]
    purge = report.get("purge")
    assert purge is None or purge["purged"] is False, purge
    assert blocks_with_old_data(bench.image("sata")) == []


def test_nvme_purge_by_format_with_sampled_verification(bench: Bench) -> None:
    run = step(bench.result, "wipe_nvme")
    report = run["report"]
    assert report is not None, describe(run)
    plan = report["plan"]
    # QEMU's NVMe offers Format with secure erase (SES=1) but no crypto erase: the plan
    # must run that Format, not fall back to an overwrite.
    assert plan["method"] != "clear", plan
    # Format NVM: Purge with SES=2 (crypto), Clear-or-Purge with SES=1: the label says which.
    assert report["result"] in ("purged", "cleared"), report
    assert report["plan"]["technique"] == "format", report["plan"]
    purge = report["purge"]
    assert purge["firmware_done"] is True, purge
    assert any("nvme" in c["argv"][0] and "format" in c["argv"] for c in purge["commands"]), purge[
        "commands"
    ]
    assert purge["watermarks"]["changed"] == purge["watermarks"]["planted"] > 0, purge
    assert purge["read_back"]["mode"] == "sampled", purge["read_back"]
    assert purge["read_back"]["coverage_percent"] >= 10, purge["read_back"]
    # The host's own check: QEMU's Format really zeroed the namespace.
    assert is_all_zero(bench.image("nvme"))


def test_station_formats_nvme_and_refuses_crypto_erase_fna_denies(bench: Bench) -> None:
    found = step(bench.result, "nvme_format")
    # Counted from the VM kernel's real sysfs (pitfall 8): one namespace per controller.
    assert found["caps"]["active_namespaces"] == 1, found["caps"]
    assert found["ses2"]["done"] is False, found
    assert found["ses2"]["commands"] == [], "SES=2 was sent although FNA denies crypto erase"
    assert found["ses1"]["done"] is True, found
    assert any("--ses=1" in argv for argv in found["ses1"]["commands"]), found
    # The host's own check: QEMU's Format NVM really zeroed the whole namespace.
    assert is_all_zero(bench.image("nvme_crit"))


def test_nvme_wipe_leaves_no_old_data(bench: Bench) -> None:
    run = step(bench.result, "wipe_nvme")
    assert run["rc"] == 0, describe(run)
    assert blocks_with_old_data(bench.image("nvme")) == []


# -- failing sectors --------------------------------------------------------------------
def test_failing_sectors_end_with_warnings_or_failed_and_are_listed(bench: Bench) -> None:
    run = step(bench.result, "wipe_bad")
    report = run["report"]
    assert report is not None, describe(run)
    assert report["result"] in ("cleared_with_warnings", "failed"), report
    assert run["rc"] in (3, 4), describe(run)
    listed = str(report)
    for sector in BAD_SECTORS:
        offset = sector * SECTOR
        assert str(sector) in listed or str(offset) in listed, (sector, report)


def test_failing_sectors_disk_is_zero_outside_the_bad_sectors(bench: Bench) -> None:
    bad_mib = {sector * SECTOR // (1 << 20) for sector in BAD_SECTORS}
    for start, end in nonzero_ranges(bench.image("bad")):
        assert {start >> 20, (end - 1) >> 20} <= bad_mib, (start, end)


def test_untouched_drives_are_untouched(bench: Bench) -> None:
    for role in ("usb", "stick"):
        assert sha256(bench.image(role)) == bench.before[role], role


def test_purge_of_one_namespace_leaves_the_other_untouched(bench: Bench) -> None:
    found = step(bench.result, "nvme_namespaces")
    assert found["second_exists"], found
    report = found["report"]
    assert report is not None, describe(found["wipe"])
    plan = report["plan"]
    # Never a controller-wide command: a per-namespace Format (FNA allows it), or Clear
    # with the namespaces named as the reason.
    if plan["method"] == "purge":
        assert plan["technique"] == "format", plan
        commands = [c["argv"] for c in report["purge"]["commands"]]
        assert not any("sanitize" in argv for argv in commands), commands
        assert any("format" in argv and found["first"] in argv for argv in commands), commands
    else:
        assert "2 namespaces" in plan["reason"]["en"], plan
    assert report["result"] in ("purged", "cleared"), report
    # The host's own checks: the first namespace holds no old data, the second is as it
    # was before the boot, byte for byte.
    assert blocks_with_old_data(bench.image("nvme_ns")) == []
    assert sha256(bench.image("nvme_ns-ns2")) == bench.before["nvme_ns-ns2"]
