"""SMART facts and verdicts on recorded outputs of real drives (tests/fixtures/devices)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from station.domain.smart_facts import SmartFacts, facts_from_json, facts_from_text
from station.domain.smart_verdict import SmartctlExit, Verdict, decode_exit_status, judge

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def _facts(case: str) -> SmartFacts:
    files = sorted((CASES / case).glob("smartctl-*"))
    text = files[0].read_text()
    return facts_from_json(json.loads(text)) if ".json" in files[0].name else facts_from_text(text)


# case, verdict, reason codes that must be there
EXPECTED = [
    ("ata-hdd-healthy-wd20efrx", Verdict.PASS, set()),
    ("ata-hdd-passed-realloc-pending-huh721212", Verdict.WARN, {"reallocated", "pending"}),
    (
        "ata-hdd-failed-realloc-now-hus724020",
        Verdict.FAIL,
        {"overall_failed", "attribute_failing_now", "earlier_self_test_failed"},
    ),
    ("sata-ssd-healthy-not-frozen-mx500", Verdict.PASS, set()),
    ("sata-ssd-frozen-mx500", Verdict.PASS, set()),
    ("sata-ssd-samsung860evo-json", Verdict.PASS, set()),
    ("sata-ssd-liteon-issue49", Verdict.PASS, set()),
    ("ata-hdd-wd30efrx-long-test-running", Verdict.PASS, set()),
    ("ata-hdd-wd20ezrx-short-selftest", Verdict.PASS, set()),
    ("nvme-healthy-970evoplus", Verdict.PASS, set()),
    ("nvme-healthy-wdblack-sn770-json", Verdict.PASS, set()),
    (
        "nvme-failed-spare-readonly-mzpll1t6",
        Verdict.FAIL,
        {"overall_failed", "nvme_spare_low", "nvme_read_only", "media_errors"},
    ),
    ("usb-nvme-asmedia-t7", Verdict.PASS, set()),
    (
        "usb-jmicron-hdd-failed-json",
        Verdict.FAIL,
        {"overall_failed", "attribute_failing_now", "self_test_log_errors"},
    ),
    ("usb-unknown-bridge-rtl9201", Verdict.NOT_SUPPORTED, {"not_supported"}),
    ("sas-hdd-huh721212al4204", Verdict.PASS, set()),
]


@pytest.mark.parametrize(("case", "verdict", "codes"), EXPECTED, ids=[c[0] for c in EXPECTED])
def test_verdict_on_real_drive(case: str, verdict: Verdict, codes: set[str]) -> None:
    result = judge(_facts(case))
    assert result.verdict is verdict
    assert codes <= {r.code for r in result.reasons}
    if verdict is Verdict.PASS:
        assert result.reasons == ()
    for reason in result.reasons:
        assert reason.message.fr and reason.message.en


def test_every_smartctl_case_has_an_expected_verdict() -> None:
    with_smartctl = {p.parent.name for p in CASES.glob("*/smartctl-*")}
    assert with_smartctl == {c[0] for c in EXPECTED}


def test_attribute_values_are_read_from_both_text_layouts() -> None:
    x_layout = _facts("ata-hdd-failed-realloc-now-hus724020")  # `-x`: flags like PO--CK
    assert (x_layout.reallocated_sectors, x_layout.pending_sectors) == (1303, 86)
    assert x_layout.failing_now == ("Reallocated_Sector_Ct",)
    a_layout = _facts("ata-hdd-wd20ezrx-short-selftest")  # `-a`: flags like 0x0033
    assert (a_layout.reallocated_sectors, a_layout.pending_sectors) == (0, 0)
    assert a_layout.serial == "WD-WCC4NC389ND4"


def test_nvme_fields_and_a_running_self_test() -> None:
    nvme = _facts("nvme-failed-spare-readonly-mzpll1t6")
    assert nvme.protocol == "nvme"
    assert (nvme.nvme_critical_warning, nvme.available_spare, nvme.media_errors) == (9, 4, 4)
    running = _facts("ata-hdd-wd30efrx-long-test-running")
    assert running.self_test_running and running.self_test_remaining_percent == 70
    # "Aborted by host" is the operator's doing, not the drive's failure.
    assert running.self_tests[0].passed


def test_usb_bridge_json_keeps_smartctl_exit_status() -> None:
    facts = _facts("usb-jmicron-hdd-failed-json")
    assert facts.exit_status == 216
    assert set(decode_exit_status(216)) == {
        SmartctlExit.DISK_FAILING,
        SmartctlExit.PREFAIL_NOW,
        SmartctlExit.ERROR_LOG,
        SmartctlExit.SELF_TEST_LOG,
    }


def test_exit_status_is_a_bit_mask_not_a_failure_flag() -> None:
    assert decode_exit_status(0) == []
    # Bit 6 alone (error log entries) on an otherwise healthy drive is not a failure.
    assert judge(SmartFacts(protocol="ata", overall_passed=True, exit_status=64)).verdict is (
        Verdict.PASS
    )
    assert judge(SmartFacts(protocol="ata", overall_passed=True, exit_status=8)).verdict is (
        Verdict.FAIL
    )
    assert judge(SmartFacts(protocol="ata", overall_passed=True, exit_status=32)).verdict is (
        Verdict.WARN
    )


@pytest.mark.parametrize(
    ("used", "verdict"), [(79, Verdict.PASS), (80, Verdict.WARN), (100, Verdict.FAIL)]
)
def test_nvme_wear(used: int, verdict: Verdict) -> None:
    facts = SmartFacts(
        protocol="nvme", overall_passed=True, percentage_used=used, nvme_critical_warning=0
    )
    assert judge(facts).verdict is verdict


def test_a_drive_that_says_nothing_is_not_supported_not_pass() -> None:
    assert judge(SmartFacts()).verdict is Verdict.NOT_SUPPORTED


def test_importing_station_smart_leaves_the_locale_alone() -> None:
    """pySMART sets LANG=C on import; Station must not let that leak."""
    code = "import os; import station.devices.smart; print(os.environ.get('LANG'))"
    env = {**os.environ, "LANG": "fr_FR.UTF-8"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "fr_FR.UTF-8"
    bare = {k: v for k, v in env.items() if k != "LANG"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=bare, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "None"
