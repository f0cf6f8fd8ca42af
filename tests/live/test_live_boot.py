"""The live ISO, booted for real: UEFI (OVMF, Secure Boot on) and BIOS (SeaBIOS), the
stick on USB, a SATA and an NVMe disk beside it. Station must come up on tty1 in French,
offer the two disks and never the stick, wipe the SATA disk from the TUI, and keep the
record on the stick's data partition across a reboot (read back from the host too)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import NVME, SATA, blocks_with_old_data

from tests.live.live_support import LIVE_DIR, live_iso, live_tier_reason
from tests.live.scenario import row_text, run_boot, run_toram_boot

# One boot (firmware, live-boot, a wipe, a reboot) runs inside the first test's fixture
# under TCG: well past the 600 s default of pytest-timeout.
pytestmark = [pytest.mark.live, pytest.mark.timeout(2700)]


def boot(tmp_path_factory: pytest.TempPathFactory, firmware: str, full: bool) -> Iterator[Any]:
    reason = live_tier_reason(firmware)
    if reason:
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp(f"live-{firmware}")
    vm, seen = run_boot(workdir, live_iso(), firmware, full)
    record_boot_time(seen)
    yield vm, seen


def record_boot_time(seen: dict[str, Any]) -> None:
    """Kept for scripts/live/report-boot (docs/performance.md); never asserted on."""
    path = LIVE_DIR / "vm-boot-results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    keys: tuple[str, ...] = (
        "boot_s",
        "uptime_s",
        "kernel_s",
        "userspace_s",
        "dashboard_s",
        "wipe_s",
    )
    keys += ("reboot_boot_s", "error")
    results[seen["firmware"]] = {k: seen[k] for k in keys if k in seen}
    path.write_text(json.dumps(results, indent=2))


@pytest.fixture(scope="module")
def uefi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from boot(tmp_path_factory, "uefi", full=True)


@pytest.fixture(scope="module")
def bios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from boot(tmp_path_factory, "bios", full=True)


@pytest.fixture(scope="module")
def toram(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = live_tier_reason("uefi")
    if reason:
        pytest.skip(reason)
    vm, seen = run_toram_boot(tmp_path_factory.mktemp("live-toram"), live_iso())
    record_boot_time(seen)
    yield vm, seen


def ok(seen: dict[str, Any], key: str) -> Any:
    assert "error" not in seen or key in seen, f"the boot stopped early: {seen.get('error')}"
    assert key in seen, f"{key} was not reached; seen: {sorted(seen)}"
    return seen[key]


def disk_by_serial(seen: dict[str, Any]) -> dict[str, dict[str, Any]]:
    disks = ok(seen, "disks")
    assert isinstance(disks, list), f"station disks --json gave {disks!r}"
    return {str(d["identity"].get("serial")): d for d in disks}


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_station_comes_up_in_french_on_tty1(firmware: str, request: pytest.FixtureRequest) -> None:
    _, seen = request.getfixturevalue(firmware)
    screen = ok(seen, "screen")
    assert "qui travaille sur ce banc" in screen, screen


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_booted_with_the_expected_firmware(firmware: str, request: pytest.FixtureRequest) -> None:
    _, seen = request.getfixturevalue(firmware)
    assert ok(seen, "efi") is (firmware == "uefi")
    if firmware == "uefi":
        assert seen["secure_boot"], "OVMF had Secure Boot on; the kernel should see it enabled"


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_data_partition_mounted_as_station_data_dir(
    firmware: str, request: pytest.FixtureRequest
) -> None:
    _, seen = request.getfixturevalue(firmware)
    assert "STATION_DATA_DIR=/srv/station-data" in ok(seen, "env"), seen["env"]
    assert "/srv/station-data vfat" in seen["mounts"], seen["mounts"]
    marker = ok(seen, "cmdline").split("station.marker=")[1].split()[0]
    assert len(marker) == 9, seen["cmdline"]


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_tty2_offers_the_supervisor_a_login(firmware: str, request: pytest.FixtureRequest) -> None:
    _, seen = request.getfixturevalue(firmware)
    tty2 = ok(seen, "tty2")
    assert "login:" in tty2, tty2
    assert "no-failed-getty" in tty2, f"a getty failed (autologin as a missing user?): {tty2}"


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_disks_offered_and_the_stick_refused(firmware: str, request: pytest.FixtureRequest) -> None:
    _, seen = request.getfixturevalue(firmware)
    disks = disk_by_serial(seen)
    for drive in (SATA, NVME):
        assert drive.serial in disks, f"{drive.serial} missing from {sorted(disks)}"
        assert disks[drive.serial]["eligible"] is True, disks[drive.serial]
    stick = disks.get(seen["stick_serial"])
    assert stick is not None, f"the stick is not even listed: {sorted(disks)}"
    assert stick["eligible"] is False
    assert "boot_medium" in {reason["code"] for reason in stick["reasons"]}, stick


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_dashboard_lists_the_disks_not_the_stick(
    firmware: str, request: pytest.FixtureRequest
) -> None:
    _, seen = request.getfixturevalue(firmware)
    board = ok(seen, "dashboard")
    assert SATA.serial in board and NVME.serial in board, board
    stick_row = row_text(board, seen["stick_serial"])
    assert not stick_row or "refusé" in stick_row, stick_row


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_wipe_from_tty1_finishes_and_erases_the_sata_disk(
    firmware: str, request: pytest.FixtureRequest
) -> None:
    vm, seen = request.getfixturevalue(firmware)
    after = ok(seen, "after_wipe")
    assert "terminé" in row_text(after, SATA.serial), after
    assert blocks_with_old_data(vm.images["sata"]) == [], "old data left on the SATA disk"
    nvme: Path = vm.images["nvme"]
    assert len(blocks_with_old_data(nvme)) == nvme.stat().st_size // (1024 * 1024)


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_record_survives_reboot_on_the_data_partition(
    firmware: str, request: pytest.FixtureRequest
) -> None:
    _, seen = request.getfixturevalue(firmware)
    assert "qui travaille sur ce banc" in ok(seen, "reboot_screen")
    listing = ok(seen, "journal_after_reboot")
    assert "journal.sqlite3" in listing, listing
    # Station made its bench key on the FAT partition itself (no RAM-then-copy step).
    assert "bench-ed25519.pem" in listing, listing
    assert "'verification'" in listing and "'overwrite_pass'" in listing, listing
    kinds = ok(seen, "host_journal_kinds")
    assert "verification" in kinds, f"from the host, the SATA disk's records are {kinds}"


def test_toram_entry_boots_to_station_in_ram(toram: Any) -> None:
    _, seen = toram
    assert "toram" in ok(seen, "cmdline").split(), seen["cmdline"]
    assert "qui travaille sur ce banc" in ok(seen, "screen")
    # The system is in RAM: /run/live/medium is live-boot's tmpfs copy, not the stick.
    medium = [line.split() for line in seen["mounts"].splitlines() if " /run/live/medium " in line]
    assert medium and all(fields[2] == "tmpfs" for fields in medium), seen["mounts"]
    assert "/srv/station-data vfat" in seen["mounts"], seen["mounts"]


def test_after_pulling_the_stick_disks_are_still_offered(toram: Any) -> None:
    _, seen = toram
    assert "gone" in ok(seen, "gone"), "the stick did not leave the guest"
    after = {str(d["identity"].get("serial")): d for d in ok(seen, "disks_after_pull") or []}
    for drive in (SATA, NVME):
        assert drive.serial in after and after[drive.serial]["eligible"] is True, after
    assert seen["stick_serial"] not in after, sorted(after)
    assert "qui travaille sur ce banc" in ok(seen, "screen_after_pull")


def test_record_with_the_stick_gone_fails_loudly(toram: Any) -> None:
    """The journal lives on the stick: once it is pulled a record cannot be kept, and
    Station must say so (non-zero exit, a message) rather than pretend it was saved."""
    _, seen = toram
    out = ok(seen, "record_after_pull")
    rc = int(out.split("smart_rc=")[1].split()[0])
    assert rc not in (0, 3, 4, 6), f"a verdict was given as if recorded:\n{out}"
    message = out.split("smart_rc=")[1].split("\n", 1)[-1].strip()
    assert message, "Station failed without saying why"
