"""Every erase ends with ATA security disabled, checked on IDENTIFY (issue 13, defect 3),
on recorded IDENTIFY outputs of a real SSD with a password set and removed."""

from __future__ import annotations

from pathlib import Path

from station.devices.runner import ReplayRunner
from station.domain.disk import Bus, MediaKind
from station.domain.results import Result
from station.jobs.ata_security import PASSWORD_LEFT, ensure_security_disabled
from station.jobs.profiles import load_wipe_profile
from station.jobs.sanitize import run_sanitize
from station.jobs.wipe import WipeRequest
from tests.wipe_helpers import MIB, inspect_as, random_disk

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def test_a_password_left_on_the_drive_is_removed_and_checked() -> None:
    runner = ReplayRunner(CASES / "ata-security-left-enabled-removed", device="/dev/sdb")
    check = ensure_security_disabled("/dev/sdb", runner, passwords=("Password",))
    assert check.enabled_before and check.disabled_afterwards and check.removed
    assert check.reusable and check.reason is None
    disable = ["hdparm", "--user-master", "u", "--security-disable", "Password", "/dev/sdb"]
    assert runner.count(disable) == 1
    assert runner.count(["hdparm", "-I", "/dev/sdb"]) == 2  # before, and to check it


def test_a_password_station_cannot_remove_makes_the_drive_not_reusable() -> None:
    runner = ReplayRunner(CASES / "ata-security-left-enabled-unknown-password", device="/dev/sdb")
    check = ensure_security_disabled("/dev/sdb", runner)
    assert check.enabled_before and not check.disabled_afterwards
    assert not check.reusable
    assert check.reason == PASSWORD_LEFT
    assert "mot de passe" in check.reason.fr and "bénéficiaire" in check.reason.fr


def test_a_drive_without_a_password_is_left_alone() -> None:
    runner = ReplayRunner(CASES / "sata-ssd-850evo-not-frozen", device="/dev/sdb")
    check = ensure_security_disabled("/dev/sdb", runner)
    assert check.reusable and check.enabled_before is False
    assert not any("--security-disable" in call for call in runner.calls)


def test_a_clear_of_a_drive_with_a_password_station_cannot_remove_is_set_aside(
    tmp_path: Path,
) -> None:
    """run_sanitize on a file standing for a SATA disk: the Clear runs (the data is
    erased and said so), then IDENTIFY shows the password still set: not reusable."""
    disk = random_disk(tmp_path, 32 * MIB)
    inspect = inspect_as(Bus.ATA, MediaKind.SSD)

    runner = ReplayRunner(CASES / "ata-security-left-enabled-unknown-password", device=str(disk))
    outcome = run_sanitize(
        WipeRequest(str(disk), load_wipe_profile("nist-clear"), inspect=inspect), runner
    )
    assert outcome.result is Result.CLEARED
    assert outcome.not_reusable == PASSWORD_LEFT
    assert outcome.security is not None and not outcome.security.disabled_afterwards
    assert runner.calls[-1] == ("hdparm", "-I", str(disk))  # checked on IDENTIFY last
