"""The live ISO, booted for real: UEFI (OVMF, Secure Boot on) and BIOS (SeaBIOS), the
stick on USB, a SATA and an NVMe disk beside it. Station must come up on tty1 in French,
offer the two disks and never the stick, wipe the SATA disk from the TUI, and keep the
record on the stick's data partition across a reboot (read back from the host too)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import NVME, SATA, blocks_with_old_data

from station.inventory.settings import Settings
from tests.live.live_support import LIVE_DIR, live_iso, live_tier_reason
from tests.live.scenario import Inventory, row_text, run_boot, run_toram_boot
from tests.server.pg_cluster import free_port
from tests.server.server_thread import ServerThread

# One boot (firmware, live-boot, a wipe, a reboot) runs inside the first test's fixture
# under TCG: well past the 600 s default of pytest-timeout.
pytestmark = [pytest.mark.live, pytest.mark.timeout(2700)]


def boot(
    tmp_path_factory: pytest.TempPathFactory, firmware: str, full: bool, serve: bool
) -> Iterator[Any]:
    """One boot with a NIC. `serve`: a real inventory server (SQLite) on the host's
    127.0.0.1 behind it; else nothing listens there (« serveur injoignable »)."""
    reason = live_tier_reason(firmware)
    if reason:
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp(f"live-{firmware}")
    if not serve:
        vm, seen = run_boot(workdir, live_iso(), firmware, full, Inventory(free_port()))
        record_boot_time(seen)
        yield vm, seen
        return
    url = f"sqlite:///{workdir / 'inventory.sqlite3'}"
    server = ServerThread(Settings(database_url=url)).start()
    try:
        inventory = Inventory(server.port, approve=lambda b: approve(url, b), kinds=kinds_at(url))
        vm, seen = run_boot(workdir, live_iso(), firmware, full, inventory)
    finally:
        server.stop()
    record_boot_time(seen)
    yield vm, seen


def approve(url: str, bench_id: str) -> str:
    """What the supervisor runs at the server: station-inventory bench approve BENCH_ID."""
    done = subprocess.run(
        [sys.executable, "-m", "station.inventory.cli", "bench", "approve", bench_id, "--db", url],
        capture_output=True,
        text=True,
    )
    return done.stdout + done.stderr


def kinds_at(url: str) -> Callable[[str], list[str]]:
    path = url.removeprefix("sqlite:///")

    def kinds(serial: str) -> list[str]:
        db = sqlite3.connect(path)
        try:
            rows = db.execute("SELECT kind FROM records WHERE disk_serial = ?", [serial])
            return sorted(kind for (kind,) in rows)
        except sqlite3.Error:
            return []
        finally:
            db.close()

    return kinds


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
    yield from boot(tmp_path_factory, "uefi", full=True, serve=True)


@pytest.fixture(scope="module")
def bios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from boot(tmp_path_factory, "bios", full=True, serve=False)


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
    # Read on the host right after the SATA job, before the NVMe's own purge.
    assert ok(seen, "nvme_old_blocks_after_sata") == nvme.stat().st_size // (1024 * 1024)


@pytest.mark.parametrize("firmware", ["uefi", "bios"])
def test_nvme_purged_from_the_bench_screen(firmware: str, request: pytest.FixtureRequest) -> None:
    """Issue 13: the shipped bench profile purges flash with the drive's own command. The
    NVMe is erased from tty1 like the SATA disk; its records must say `purged` by a purge
    command, and the host must find none of the old data on the NVMe image."""
    vm, seen = request.getfixturevalue(firmware)
    assert NVME.serial in ok(seen, "nvme_confirm_screen"), seen["nvme_confirm_screen"]
    row = row_text(ok(seen, "after_nvme_purge"), NVME.serial)
    assert "terminé" in row, row
    records = [line.split()[1:] for line in ok(seen, "nvme_records").splitlines()]
    records = [r for r in records if r and r[0] != "disk_seen"]
    purges = [r for r in records if r[0] == "purge_command"]
    assert purges, f"no purge command recorded for the NVMe: {records}"
    assert purges[-1][1] == "purged", f"the purge's record says {purges[-1]}; all: {records}"
    assert blocks_with_old_data(vm.images["nvme"]) == [], "old data left on the NVMe"


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


def test_a_pulled_stick_puts_up_the_french_banner(toram: Any) -> None:
    _, seen = toram
    before = ok(seen, "dashboard")
    assert "Clé Station retirée" not in before, before
    screen = ok(seen, "screen_after_pull")
    assert "Clé Station retirée : remettez-la, rien n'est perdu" in screen, screen


def test_a_stick_pulled_mid_erase_pauses_the_disk_until_it_is_back(toram: Any) -> None:
    """Issue 20: put back, the stick is mounted again (the banner goes); pulled while the
    SATA disk is erased, the disk shows « en pause : clé retirée », never « échec »; put
    back, its records are written on the stick, the disk ends « terminé » and the chain
    checks, in the guest and read from the host after power-off."""
    _, seen = toram
    assert "Clé Station retirée" not in ok(seen, "screen_after_plug"), seen["screen_after_plug"]
    assert "STATION_DATA_UUID=" in ok(seen, "env_after_plug"), seen["env_after_plug"]
    paused = row_text(ok(seen, "screen_paused"), SATA.serial)
    assert "en pause" in paused, f"not paused (pulled too late?): {seen['screen_paused']}"
    after = ok(seen, "screen_after_return")
    assert "terminé" in row_text(after, SATA.serial), after
    assert "échec" not in row_text(after, SATA.serial), after
    journal = ok(seen, "journal_after_return")
    assert "check_rc=0" in journal, journal
    assert "'overwrite_pass'" in journal and "'verification'" in journal, journal
    assert "verification" in ok(seen, "host_toram_kinds"), seen["host_toram_kinds"]


def test_without_a_network_card_the_badge_says_no_network(toram: Any) -> None:
    _, seen = toram
    assert "réseau absent" in ok(seen, "dashboard"), seen["dashboard"]


def test_record_with_the_stick_gone_fails_loudly(toram: Any) -> None:
    """The journal lives on the stick: once it is pulled a record cannot be kept, and
    Station must say so (non-zero exit, a message) rather than pretend it was saved."""
    _, seen = toram
    out = ok(seen, "record_after_pull")
    rc = int(out.split("smart_rc=")[1].split()[0])
    assert rc not in (0, 3, 4, 6), f"a verdict was given as if recorded:\n{out}"
    message = out.split("smart_rc=")[1].split("\n", 1)[-1].strip()
    assert message, "Station failed without saying why"
    assert "Remettez-la" in message, f"not the French message a bench shows: {message}"


@pytest.fixture(params=["uefi", "bios"])
def booted(request: pytest.FixtureRequest) -> Any:
    """Each full boot in turn (UEFI with the inventory server, BIOS without)."""
    return request.getfixturevalue(request.param)


def test_every_ethernet_port_gets_an_address_by_dhcp(booted: Any) -> None:
    _, seen = booted
    network = ok(seen, "network")
    # QEMU's user network hands out 10.0.2.15/24 (restrict=on: no router, so no default
    # route; the inventory is on that subnet).
    assert "10.0.2.15/24" in network and "routable" in network, network


def test_records_reach_the_inventory_over_the_network(uefi: Any) -> None:
    """The bench enrolled, the supervisor approved it at the server, the wipe's records
    went over the VM's NIC to the server on the host, and the badge says « en ligne »."""
    _, seen = uefi
    assert "en attente d'approbation" in ok(seen, "enrol"), seen["enrol"]
    assert "approved" in ok(seen, "approved"), seen["approved"]
    kinds = ok(seen, "server_kinds")
    assert {"overwrite_pass", "verification"} <= set(kinds), kinds
    assert "Inventaire en ligne" in ok(seen, "badge_after_sync"), seen["badge_after_sync"]


def test_with_no_server_the_badge_says_unreachable(bios: Any) -> None:
    _, seen = bios
    board = ok(seen, "dashboard")
    assert "serveur injoignable" in board, board


def test_the_arrow_key_visibly_moves_the_login_highlight(booted: Any) -> None:
    """Screendumps of tty1's colours (/dev/vcsa1) before and after Down: the chosen id
    line must look different from the others, and the arrow must change what is shown."""
    _, seen = booted
    before, after = ok(seen, "ids_before_arrow"), ok(seen, "ids_after_arrow")
    assert len(after) >= 2, after
    assert before != after, f"the arrow changed nothing on screen: {before} / {after}"
    assert len(set(after.values())) == 2, f"not exactly one line stands out: {after}"


def test_console_font_is_terminus_sized_from_the_panel(booted: Any) -> None:
    _, seen = booted
    font = ok(seen, "console_font")
    name, width = font.split()[0], int(font.split("width=")[1].split()[0])
    expected = (
        "Uni2-Terminus32x16"
        if width > 1600
        else "Uni2-Terminus24x12"
        if width >= 1280
        else "Uni2-Terminus16"
    )
    assert name == expected, font


def test_the_initramfs_says_station_is_starting(booted: Any) -> None:
    """init-top (the first initramfs script, which prints « Station démarre, patientez »
    on tty1) and init-bottom leave their marks in the kernel log."""
    _, seen = booted
    marks = ok(seen, "initramfs_marks")
    assert "initramfs init-top at" in marks and "initramfs init-bottom at" in marks, marks


def test_the_journal_file_alone_holds_the_records(booted: Any) -> None:
    """After a job the WAL is folded into journal.sqlite3: that file copied alone (in the
    guest) holds the wipe's records; after power-off the host copies journal.sqlite3
    alone off the stick and finds them too."""
    _, seen = booted
    alone = ok(seen, "journal_alone_after_job")
    assert "'verification'" in alone and "'overwrite_pass'" in alone, alone
    kinds = ok(seen, "host_journal_kinds")
    assert "verification" in kinds, f"journal.sqlite3 alone holds {kinds}"
