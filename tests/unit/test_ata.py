"""hdparm parsing and ATA erase commands, on recorded outputs of real drives."""

from __future__ import annotations

from pathlib import Path

from station.devices import ata
from station.devices.runner import ReplayRunner

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def _read(case: str, name: str) -> str:
    return (CASES / case / name).read_text()


def test_samsung_850_security_block_and_features() -> None:
    caps = ata.parse_identify(_read("sata-ssd-850evo-not-frozen", "hdparm-I.txt"))
    assert caps.model == "Samsung SSD 850 EVO 2TB"
    assert caps.serial == "S2RLNX0H700433B"
    assert caps.solid_state is True
    assert caps.security is not None
    sec = caps.security
    assert (sec.supported, sec.enabled, sec.locked, sec.frozen, sec.count_expired) == (
        True,
        False,
        False,
        False,
        False,
    )
    assert sec.enhanced_erase_supported
    assert (sec.erase_minutes, sec.enhanced_erase_minutes) == (2, 8)
    assert caps.hpa_feature and caps.dco_feature and caps.encrypts_all_user_data
    assert not caps.sanitize_supported


def test_sandisk_offers_sanitize_block_erase_only() -> None:
    caps = ata.parse_identify(_read("sata-ssd-sandisk-sanitize-block-erase", "hdparm-I.txt"))
    assert caps.sanitize_supported and caps.sanitize_block_erase
    assert not caps.sanitize_crypto_scramble and not caps.sanitize_overwrite


def test_frozen_and_password_set_states() -> None:
    case = "ata-ssd-frozen-then-security-erase"
    frozen = ata.parse_security(_read(case, "hdparm-I-1-frozen.txt"))
    thawed = ata.parse_security(_read(case, "hdparm-I-2-after-suspend.txt"))
    enabled = ata.parse_security(_read(case, "hdparm-I-3-password-set.txt"))
    assert frozen is not None and frozen.frozen and frozen.supported
    assert thawed is not None and not thawed.frozen  # "not     frozen" (spaces, not a tab)
    assert enabled is not None and enabled.enabled and not enabled.frozen


def test_a_security_block_without_supported_means_no_ata_security() -> None:
    caps = ata.parse_identify(_read("ata-hdd-wd5000aaks-no-security", "hdparm-I.txt"))
    assert caps.security is not None
    assert not caps.security.supported
    assert caps.security.erase_minutes == 128
    assert caps.solid_state is None  # that hdparm printed no rotation rate


def test_hpa_states() -> None:
    before = ata.parse_hpa(_read("hdd-160gb-hpa", "hdparm-N-before.txt"))
    after = ata.parse_hpa(_read("hdd-160gb-hpa", "hdparm-N-set.txt"))
    assert before is not None and not before.hpa_enabled and before.hidden_sectors == 0
    assert after is not None and after.hpa_enabled
    assert (after.visible_sectors, after.native_sectors, after.hidden_sectors) == (
        310484656,
        312581808,
        2097152,
    )


def test_restore_native_max_command() -> None:
    runner = ReplayRunner(CASES / "hdd-160gb-hpa", device="/dev/sdc")
    evidence = ata.restore_native_max("/dev/sdc", 310484656, runner)
    assert evidence.ok
    assert evidence.argv == (
        "hdparm",
        "--yes-i-know-what-i-am-doing",
        "-N",
        "p310484656",
        "/dev/sdc",
    )


def test_sanitize_status_in_process() -> None:
    status = ata.parse_sanitize_status(
        _read("ata-sanitize-status-in-process", "hdparm-sanitize-status.txt")
    )
    assert status.state is ata.SanitizeState.IN_PROCESS
    assert status.percent == 25
    assert not status.last_completed_without_error


def test_security_erase_success_is_checked_by_reading_identify_again() -> None:
    runner = ReplayRunner(CASES / "ata-ssd-frozen-then-security-erase", device="/dev/sda")
    runner.run(["hdparm", "-I", "/dev/sda"], timeout=1)  # the frozen read, then the suspend
    runner.run(["hdparm", "-I", "/dev/sda"], timeout=1)
    outcome = ata.security_erase("/dev/sda", runner, password="Password", prefer_enhanced=False)
    assert outcome.done
    assert outcome.security_disabled_afterwards
    assert outcome.password == "Password"
    assert (
        runner.count(["hdparm", "--user-master", "u", "--security-disable", "Password", "/dev/sda"])
        == 0
    )


def test_frozen_drive_is_not_erased() -> None:
    runner = ReplayRunner(CASES / "ata-ssd-frozen-then-security-erase", device="/dev/sda")
    outcome = ata.security_erase("/dev/sda", runner, password="Password")
    assert not outcome.done and outcome.detail == "drive is frozen"
    assert all("--security-set-pass" not in call for call in runner.calls)


def test_erase_that_exits_0_but_leaves_security_enabled_is_not_done() -> None:
    """QEMU's AHCI aborts SECURITY ERASE while hdparm exits 0: never trust the exit code."""
    runner = ReplayRunner(CASES / "ata-erase-aborted-security-still-enabled", device="/dev/sda")
    outcome = ata.security_erase("/dev/sda", runner, password="Password", prefer_enhanced=False)
    assert not outcome.done
    assert "security still enabled" in outcome.detail
    assert (
        runner.count(["hdparm", "--user-master", "u", "--security-disable", "Password", "/dev/sda"])
        == 1
    )
    assert outcome.password == "Password"
    assert outcome.security_disabled_afterwards


def test_a_password_the_drive_ignored_stops_before_the_erase() -> None:
    """hdparm exits 0 on SET PASSWORD but IDENTIFY shows security still not enabled: the
    erase is not sent (its result could not be checked) and the disable is still tried."""
    runner = ReplayRunner(CASES / "ata-set-pass-ignored", device="/dev/sda")
    outcome = ata.security_erase("/dev/sda", runner, password="Password", prefer_enhanced=False)
    assert not outcome.done
    assert "set password not applied" in outcome.detail
    assert (
        runner.count(["hdparm", "--user-master", "u", "--security-erase", "Password", "/dev/sda"])
        == 0
    )
    assert (
        runner.count(["hdparm", "--user-master", "u", "--security-disable", "Password", "/dev/sda"])
        == 1
    )


def test_set_password_failure_is_reported_and_security_disable_still_tried() -> None:
    runner = ReplayRunner(CASES / "ata-hdd-wd5000aaks-no-security", device="/dev/sdc")
    # This drive prints no "supported": Station does not even try (the post's user did,
    # and got SECURITY_SET_PASS: Input/output error).
    outcome = ata.security_erase("/dev/sdc", runner, password="p")
    assert not outcome.done and outcome.detail == "drive has no ATA security"
    evidence = runner.run(
        ["hdparm", "--user-master", "u", "--security-set-pass", "p", "/dev/sdc"], timeout=1
    )
    assert evidence.returncode == 5 and "Input/output error" in evidence.stdout


def test_dco_real_max_sectors() -> None:
    runner = ReplayRunner(CASES / "hdd-st3000vx000-dco-identify", device="/dev/sdh")
    real_max, evidence = ata.read_dco_real_max("/dev/sdh", runner)
    # The source did not show hdparm's exit code, so the evidence says "not recorded"...
    assert evidence.returncode is None
    # ...and Station does not parse what it cannot show was a successful run.
    assert real_max is None
    assert ata.parse_dco_real_max(evidence.stdout) == 5860533168
