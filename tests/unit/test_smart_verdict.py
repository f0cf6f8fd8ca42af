"""SMART facts and verdicts on recorded outputs of real drives (tests/fixtures/devices)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from station.domain.smart_facts import (
    SelfTestEntry,
    SmartFacts,
    facts_from_json,
    facts_from_text,
    self_test_outcome,
)
from station.domain.smart_verdict import SmartctlExit, Verdict, decode_exit_status, judge, seen
from station.jobs.bench_smart import record_word

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
    ("ata-self-test-left-running", Verdict.PASS, set()),  # the WD30EFRX mid-test, first
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
    # Issue 13: more real outputs, weighted toward failures and odd cases
    # (tests/fixtures/devices/SOURCES.md).
    ("ata-hdd-st3320310cs-smart-disabled", Verdict.NOT_SUPPORTED, {"smart_disabled"}),
    ("ata-smart-disabled-then-enabled", Verdict.NOT_SUPPORTED, {"smart_disabled"}),
    ("ata-hdd-st9320423as-passed-read-failure", Verdict.FAIL, {"self_test_failed", "pending"}),
    ("ata-selftest-log-servo-seek-one-space", Verdict.FAIL, {"self_test_failed"}),
    ("ata-hdd-long-test-in-progress-one-space", Verdict.PASS, set()),
    ("ata-hdd-st3500418as-realloc-304", Verdict.WARN, {"reallocated"}),
    ("ata-hdd-wd4000fyyx-megaraid-realloc-aborted", Verdict.WARN, {"reallocated"}),
    ("ata-hdd-hus724020-error-log-exit64", Verdict.PASS, set()),
    ("ata-hdd-toshiba-mg05-exit64", Verdict.PASS, set()),
    ("ata-hdd-helium-win10", Verdict.PASS, set()),
    ("ata-hdd-smartctl64-sg-device", Verdict.PASS, set()),
    ("sata-ssd-intel-dcs3500-wearout-85", Verdict.WARN, {"worn"}),
    ("sata-ssd-intel-dcs3500-wearout-78", Verdict.PASS, set()),
    ("sata-ssd-intel-s3520-wear-3", Verdict.WARN, {"reallocated"}),
    ("sata-ssd-dell-s3520-233-is-lbas-written", Verdict.PASS, set()),
    ("sata-ssd-intel-s4500-wear-45", Verdict.WARN, {"reallocated"}),
    ("sata-ssd-micron5300-lifetime-remain", Verdict.PASS, set()),
    ("sata-ssd-kingston-sa400-exit4", Verdict.PASS, set()),
    ("sata-ssd-kingston-kc400-retired-block", Verdict.WARN, {"reallocated"}),
    ("sata-ssd-transcend-mts400-smi", Verdict.PASS, set()),
    ("sata-ssd-samsung-sm843t-wear-10", Verdict.PASS, set()),
    ("sata-ssd-samsung840-wear-json", Verdict.PASS, set()),
    ("sata-ssd-apple-wear-above-100", Verdict.PASS, set()),
    ("usb-ssd-intel-threshold-dashes", Verdict.PASS, set()),
    ("nvme-970evo-media-errors-json", Verdict.WARN, {"media_errors"}),
    ("nvme-intel-p3700-wear-51-spare-93", Verdict.PASS, set()),
    ("nvme-intel-p4500-wear-75", Verdict.PASS, set()),
    ("nvme-old-smartctl66-layout", Verdict.PASS, set()),
    ("nvme-smartctl75-wear-33", Verdict.PASS, set()),
    ("usb-nvme-asmedia-smartctl75", Verdict.PASS, set()),
    ("sas-hdd-hitachi-h109060", Verdict.PASS, set()),
    ("sas-hdd-st1200mm0088-json", Verdict.PASS, set()),
    ("sas-ssd-endurance-indicator", Verdict.PASS, set()),
    ("smartctl-open-failed-exit2", Verdict.NOT_SUPPORTED, {"no_health"}),
    ("intel-raid-volume-no-smart", Verdict.NOT_SUPPORTED, {"no_health"}),
    ("scsi-no-smart-unavailable", Verdict.NOT_SUPPORTED, {"not_supported"}),
    ("megaraid-virtual-drive-no-smart", Verdict.NOT_SUPPORTED, {"not_supported"}),
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
    assert running.self_tests[0].outcome == "aborted"


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


# ---------------------------------------------------------------- issue 13


def test_a_29_character_status_followed_by_one_space_is_read() -> None:
    """smartctl pads statuses to 29 characters: "Completed: servo/seek failure" and
    "Self-test routine in progress" are followed by ONE space before the percentage.
    The old pattern (two spaces) skipped those lines, so an older entry became "latest"."""
    log = _facts("ata-selftest-log-servo-seek-one-space").self_tests
    assert [e.status for e in log] == [
        "Completed: read failure",
        "Completed: servo/seek failure",
        "Completed without error",
    ]
    assert [e.outcome for e in log] == ["failed", "failed", "passed"]
    running = _facts("ata-hdd-long-test-in-progress-one-space").self_tests
    assert running[0].status == "Self-test routine in progress"
    assert running[0].outcome == "in_progress"


# Every status smartctl prints (ataprint.cpp ataPrintSmartSelfTestEntry, nvmeprint.cpp).
@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("Completed without error", "passed"),
        ("Aborted by host", "aborted"),
        ("Interrupted (host reset)", "aborted"),
        ("Fatal or unknown error", "failed"),
        ("Completed: unknown failure", "failed"),
        ("Completed: electrical failure", "failed"),
        ("Completed: servo/seek failure", "failed"),
        ("Completed: read failure", "failed"),
        ("Completed: handling damage??", "failed"),
        ("Self-test routine in progress", "in_progress"),
        ("Unknown status (0x9)", "unknown"),
        ("Unknown/reserved test status", "unknown"),
        ("Aborted: Controller Reset", "aborted"),
        ("Completed: failed segments", "failed"),
        ("Fatal or unknown test error", "failed"),
    ],
)
def test_every_self_test_status_maps_to_an_outcome(status: str, outcome: str) -> None:
    assert self_test_outcome(status) == outcome


def test_the_newest_self_test_decides() -> None:
    def entry(status: str) -> SelfTestEntry:
        return SelfTestEntry(kind="Short offline", status=status, outcome=self_test_outcome(status))

    def verdict(*statuses: str) -> Verdict:
        facts = SmartFacts(
            protocol="ata", overall_passed=True, self_tests=tuple(entry(s) for s in statuses)
        )
        return judge(facts).verdict

    assert verdict("Completed: handling damage??", "Completed without error") is Verdict.FAIL
    assert verdict("Unknown status (0x9)", "Completed without error") is Verdict.WARN
    assert verdict("Completed without error", "Completed: read failure") is Verdict.WARN
    assert verdict("Aborted by host", "Completed without error") is Verdict.PASS


def test_sata_ssd_wear_counts_like_nvme_wear() -> None:
    worn = _facts("sata-ssd-intel-dcs3500-wearout-85")
    assert (worn.percentage_used, worn.wear_source) == (85, "attribute 233 Media_Wearout_Indicator")
    # Device Statistics win over vendor attributes when both are there.
    mx500 = _facts("sata-ssd-healthy-not-frozen-mx500")
    assert mx500.wear_source == "device statistics"
    # Attribute 233 named Total_LBAs_Written is no wear indicator; Apple's 165 is no wear.
    assert _facts("sata-ssd-dell-s3520-233-is-lbas-written").percentage_used is None
    assert _facts("sata-ssd-apple-wear-above-100").percentage_used == 0
    assert _facts("sas-ssd-endurance-indicator").wear_source == "scsi"
    ssd_95 = SmartFacts(protocol="ata", overall_passed=True, percentage_used=95)
    nvme_95 = SmartFacts(protocol="nvme", overall_passed=True, percentage_used=95)
    assert judge(ssd_95).verdict is judge(nvme_95).verdict is Verdict.WARN


def test_labels_say_what_was_seen() -> None:
    reliability = judge(SmartFacts(protocol="nvme", overall_passed=True, nvme_critical_warning=4))
    assert reliability.reasons[0].message.en == (
        "NVMe critical warning: NVM subsystem reliability degraded"
    )
    assert "media" not in reliability.reasons[0].message.en
    passed_but = judge(_facts("nvme-970evo-media-errors-json"))
    assert passed_but.verdict is Verdict.WARN
    thousands = SmartFacts(protocol="ata", overall_passed=True, pending_sectors=4000)
    assert judge(thousands).verdict is Verdict.FAIL


def test_smart_switched_off_is_said() -> None:
    facts = _facts("ata-hdd-st3320310cs-smart-disabled")
    assert facts.smart_enabled is False
    assert facts.model == "ST3320310CS"


@pytest.mark.parametrize(
    ("case", "word", "seen_words"),
    [
        ("sata-ssd-intel-dcs3500-wearout-85", "worn", ("worn",)),
        ("nvme-970evo-media-errors-json", "needs_review", ("media_errors",)),
        ("ata-hdd-st3500418as-realloc-304", "needs_review", ("media_errors",)),
        (
            "nvme-failed-spare-readonly-mzpll1t6",
            "failing",
            ("reports_failing", "spare_low", "read_only", "media_errors"),
        ),
        ("ata-hdd-st9320423as-passed-read-failure", "failing", ("self_test_failed",)),
        ("ata-hdd-healthy-wd20efrx", "healthy", ()),
        ("usb-unknown-bridge-rtl9201", "unknown", ()),
    ],
)
def test_the_record_says_what_was_seen(case: str, word: str, seen_words: tuple[str, ...]) -> None:
    """A WARN is "worn" only when wear is all there is; media errors are not wear."""
    verdict = judge(_facts(case))
    assert record_word(verdict) == word
    assert seen(verdict)[: len(seen_words)] == seen_words
    assert set(seen(verdict)) >= set(seen_words)
