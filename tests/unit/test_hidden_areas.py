"""Hidden areas before an erase (issue 13, defect 2): a bridge's nonsense is no HPA, a
real HPA is removed before the overwrite and recorded before -> after, a DCO is said.
Drive answers are recorded outputs of real drives (tests/fixtures/devices/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

from station.devices import ata
from station.devices.runner import ReplayRunner
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.results import Result
from station.jobs.hidden_areas import HiddenAreas, detect_dco, uncover_hidden_areas
from station.jobs.profiles import load_wipe_profile
from station.jobs.sanitize import run_sanitize
from station.jobs.wipe import WipeRequest
from station.wiring import build_services
from tests.wipe_helpers import MIB, inspect_as, random_disk

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def _identity(bus: Bus, path: str = "/dev/sdc") -> DiskIdentity:
    return DiskIdentity(
        path=path, name="sdc", size_bytes=160 * 10**9, bus=bus, media_kind=MediaKind.HDD
    )


def test_a_bridge_answering_0_of_1_has_no_hpa_it_is_unknown() -> None:
    text = (CASES / "usb-bridge-hdparm-N-bogus" / "hdparm-N.txt").read_text()
    assert ata.parse_hpa(text) is None
    real = (CASES / "hdd-160gb-hpa" / "hdparm-N-set.txt").read_text()
    state = ata.parse_hpa(real)
    assert state is not None and state.hidden_sectors == 312581808 - 310484656


def test_the_bridge_nonsense_is_recorded_as_unknown_never_removed() -> None:
    runner = ReplayRunner(CASES / "usb-bridge-hdparm-N-bogus", device="/dev/sdf")
    found = uncover_hidden_areas(_identity(Bus.USB, "/dev/sdf"), runner)
    assert [(f.feature, f.action) for f in found.findings] == [("hpa", "not_supported")]
    assert "HPA unknown" in found.warnings[0]
    assert runner.calls == [("hdparm", "-N", "/dev/sdf")]


def test_a_real_hpa_is_removed_and_the_kernel_asked_for_the_new_size(tmp_path: Path) -> None:
    runner = ReplayRunner(CASES / "hdd-160gb-hpa-removed-before-clear", device="/dev/sdc")
    device = tmp_path / "class/block/sdc/device"
    device.mkdir(parents=True)
    (device / "rescan").write_text("")
    found = uncover_hidden_areas(_identity(Bus.ATA), runner, sys_root=tmp_path)
    hpa = found.findings[0]
    assert (hpa.feature, hpa.action) == ("hpa", "removed")
    assert (hpa.before, hpa.after, hpa.native) == (310484656, 312581808, 312581808)
    assert runner.count(["hdparm", ata.YES, "-N", "p312581808", "/dev/sdc"]) == 1
    assert (device / "rescan").read_text() == "1\n"
    assert not found.warnings


def test_a_drive_that_refuses_keeps_its_hpa_and_it_is_said() -> None:
    runner = ReplayRunner(CASES / "hdd-160gb-hpa-refused", device="/dev/sdc")
    found = uncover_hidden_areas(_identity(Bus.ATA), runner)
    assert found.findings[0].action == "failed"
    assert "refused to remove its HPA" in found.warnings[0]


def test_through_usb_a_real_hpa_is_left_in_place_and_said() -> None:
    runner = ReplayRunner(CASES / "hdd-160gb-hpa-refused", device="/dev/sdc")
    found = uncover_hidden_areas(_identity(Bus.USB), runner)
    assert found.findings[0].action == "left_in_place"
    assert "USB bridge" in found.warnings[0]
    assert not any("p312581808" in call for call in runner.calls)


def test_a_dco_hiding_sectors_is_detected_and_left_in_place() -> None:
    """A real --dco-identify (5860533168) above a native max of 5860000000 sectors."""
    runner = ReplayRunner(CASES / "hdd-dco-hides-sectors", device="/dev/sdh")
    areas = HiddenAreas()
    detect_dco(_identity(Bus.ATA, "/dev/sdh"), 5860000000, runner, areas)
    assert [(f.feature, f.action) for f in areas.findings] == [("dco", "left_in_place")]
    assert "DCO hides 533168 sectors" in areas.warnings[0]
    assert not any("--dco-restore" in call for call in runner.calls)


def test_a_clear_removes_the_hpa_first_and_records_it_before_after(tmp_path: Path) -> None:
    """run_sanitize on a file standing for a SATA disk whose drive answers are the
    160 GB drive's: the hpa_dco_change record is in the journal, then the Clear's."""
    disk = random_disk(tmp_path, 64 * MIB)
    inspect = inspect_as(Bus.ATA, MediaKind.HDD)

    services = build_services(tmp_path / "data")
    runner = ReplayRunner(CASES / "hdd-160gb-hpa-removed-before-clear", device=str(disk))
    outcome = run_sanitize(
        WipeRequest(
            str(disk), load_wipe_profile("nist-clear"), inspect=inspect, journal=services.journal
        ),
        runner,
    )
    assert outcome.result is Result.CLEARED
    first = services.journal.get(outcome.record_ids[1])  # after the disk's DiskSeen
    assert first is not None
    body = first.body()
    assert body["kind"] == "hpa_dco_change" and body["action"] == "removed"
    assert (body["max_sectors_before"], body["max_sectors_after"]) == (310484656, 312581808)
    # The removal came before any write: -N calls are the first commands run.
    assert runner.calls[:3] == [
        ("hdparm", "-N", str(disk)),
        ("hdparm", ata.YES, "-N", "p312581808", str(disk)),
        ("hdparm", "-N", str(disk)),
    ]
    assert body["commands"][1]["argv"] == ["hdparm", ata.YES, "-N", "p312581808", str(disk)]
