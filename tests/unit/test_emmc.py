"""eMMC (cheap school laptops): health from EXT_CSD and the eMMC's own Purge, on
recorded `mmc extcsd read` outputs of real eMMCs (tests/fixtures/devices/SOURCES.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from station.devices import mmc
from station.devices.runner import ReplayRunner
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.purge_plan import StepKind, Technique, plan_for
from station.domain.results import Result
from station.domain.smart_facts import facts_from_extcsd
from station.domain.smart_verdict import Verdict, judge
from station.jobs.profiles import load_wipe_profile
from station.jobs.purge import PurgeContext, gather_firmware_facts, run_purge
from tests.wipe_helpers import inspect_as

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
SIZE = 8 * 1024 * 1024


def _text(case: str) -> str:
    return next((CASES / case).glob("mmc-*")).read_text()


@pytest.mark.parametrize(
    ("case", "used"),
    [
        ("emmc-samsung-klmag1jetd-extcsd", 0),
        ("emmc-onecloud-life-b-0x03", 20),
        ("emmc-life-b-0x02-pre-eol-normal", 10),
    ],
)
def test_real_emmcs_report_their_wear(case: str, used: int) -> None:
    facts = facts_from_extcsd(_text(case))
    assert facts.protocol == "emmc" and facts.percentage_used == used
    assert judge(facts).verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("extcsd", "verdict", "code"),
    [
        # Constructed lines in mmc-utils' format (no worn eMMC's output is public).
        ("[EXT_CSD_DEVICE_LIFE_TIME_EST_TYP_B]: 0x09\n", Verdict.WARN, "worn"),
        ("[EXT_CSD_DEVICE_LIFE_TIME_EST_TYP_A]: 0x0b\n", Verdict.FAIL, "worn_out"),
        ("[EXT_CSD_PRE_EOL_INFO]: 0x02\n", Verdict.WARN, "emmc_pre_eol_warning"),
        ("[EXT_CSD_PRE_EOL_INFO]: 0x03\n", Verdict.FAIL, "emmc_pre_eol_urgent"),
    ],
)
def test_worn_emmc_thresholds(extcsd: str, verdict: Verdict, code: str) -> None:
    result = judge(facts_from_extcsd(extcsd))
    assert result.verdict is verdict
    assert code in {r.code for r in result.reasons}


def test_an_emmc_without_estimates_is_not_supported_never_pass() -> None:
    assert judge(facts_from_extcsd("Card Type [CARD_TYPE: 0x57]\n")).verdict is (
        Verdict.NOT_SUPPORTED
    )


def test_health_is_read_with_mmc_utils() -> None:
    runner = ReplayRunner(CASES / "emmc-onecloud-life-b-0x03", device="/dev/mmcblk0")
    report = mmc.read_health("/dev/mmcblk0", runner)
    assert report.verdict.verdict is Verdict.PASS
    assert report.evidence[0].argv == ("mmc", "extcsd", "read", "/dev/mmcblk0")


def test_an_emmc_with_sanitize_gets_erase_then_sanitize_and_is_proven(tmp_path: Path) -> None:
    disk = tmp_path / "mmcblk0.img"
    disk.write_bytes(os.urandom(SIZE))
    identity = DiskIdentity(
        path=str(disk), name="mmcblk0", size_bytes=SIZE, bus=Bus.MMC, media_kind=MediaKind.EMMC
    )
    runner = ReplayRunner(CASES / "emmc-samsung-klmag1jetd-extcsd", device=str(disk))

    def erase(_argv: tuple[str, ...]) -> None:  # ERASED_MEM_CONT 0x00: reads give zeros
        disk.write_bytes(bytes(SIZE))

    runner.side_effects[("blkdiscard", "-f", str(disk))] = erase
    facts = gather_firmware_facts(identity, runner)
    plan = plan_for(identity, facts.capabilities, load_wipe_profile("nist-purge"))
    assert plan.method == "purge" and plan.technique is Technique.BLOCK_ERASE
    assert plan.firmware_step is not None and plan.firmware_step.kind is StepKind.EMMC_SANITIZE
    assert plan.label.en == "Purge (eMMC Erase + Sanitize, Block Erase)"
    inspect = inspect_as(Bus.MMC, MediaKind.EMMC)
    report = run_purge(str(disk), plan, PurgeContext(runner=runner, inspect=inspect))
    assert report.purged and report.result is Result.PURGED
    assert runner.count(["mmc", "sanitize", str(disk)]) == 1
    # Discard first: SANITIZE alone only purges blocks already unmapped.
    calls = [c[0] for c in runner.calls if c[0] in ("blkdiscard", "mmc") and c[1] != "extcsd"]
    assert calls == ["blkdiscard", "mmc"]


def test_an_emmc_without_sanitize_is_cleared_with_the_reason() -> None:
    no_sanitize = mmc.parse_capabilities("Secure Feature support [SEC_FEATURE_SUPPORT: 0x15]\n")
    identity = DiskIdentity(
        path="/dev/mmcblk0", name="mmcblk0", size_bytes=1, bus=Bus.MMC, media_kind=MediaKind.EMMC
    )
    plan = plan_for(identity, no_sanitize, load_wipe_profile("nist-purge"))
    assert plan.method == "clear" and plan.reason is not None
    assert "SANITIZE" in plan.reason.fr
