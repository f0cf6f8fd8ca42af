"""SMART through pySMART, replayed from recorded outputs of real drives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from station.devices.runner import CommandEvidence, ReplayRunner
from station.devices.smart import SelfTestStatus, read_smart, run_self_test
from station.domain.smart_verdict import Verdict

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def test_nvme_read_through_pysmart_with_every_command_recorded() -> None:
    runner = ReplayRunner(CASES / "nvme-healthy-970evoplus", device="/dev/nvme0")
    report = read_smart("/dev/nvme0", runner=runner, interface="nvme", sources=("text",))
    assert report.verdict.verdict is Verdict.PASS
    assert report.pysmart_assessment == "PASS"
    assert report.facts.serial == "S4EVNX0NA32843N"
    assert [e.argv for e in report.evidence] == [("smartctl", "-d", "nvme", "--all", "/dev/nvme0")]
    record = report.to_record()
    assert record["commands"][0]["stdout_sha256"]  # type: ignore[index]


def test_json_evidence_is_kept_and_judged() -> None:
    runner = ReplayRunner(CASES / "sata-ssd-samsung860evo-json", device="/dev/sda")
    report = read_smart("/dev/sda", runner=runner, interface="sat", sources=("json",))
    assert report.raw_json is not None and report.raw_json["model_name"].startswith("Samsung")
    assert report.verdict.verdict is Verdict.PASS


def test_sas_drive_through_pysmart() -> None:
    runner = ReplayRunner(CASES / "sas-hdd-huh721212al4204", device="/dev/sdc")
    report = read_smart("/dev/sdc", runner=runner, interface="scsi", sources=("text",))
    assert report.facts.protocol == "scsi"
    assert report.verdict.verdict is Verdict.PASS


def test_short_self_test_started_polled_and_read_from_the_log() -> None:
    runner = ReplayRunner(CASES / "ata-hdd-wd20ezrx-short-selftest", device="/dev/sda")
    progress: list[int | None] = []
    outcome = run_self_test(
        "/dev/sda",
        "short",
        runner=runner,
        interface="sat",
        on_progress=progress.append,
        sleep=lambda _s: None,
    )
    assert outcome.status is SelfTestStatus.PASSED
    assert outcome.detail == "Completed without error"
    assert runner.count(["smartctl", "-d", "sat", "-t", "short", "/dev/sda"]) == 1
    assert progress[-1] == 0


def test_nvme_behind_a_usb_bridge_without_self_tests_is_not_supported() -> None:
    runner = ReplayRunner(CASES / "usb-nvme-asmedia-t7", device="/dev/sda")
    outcome = run_self_test("/dev/sda", "short", runner=runner, interface="sntasmedia")
    assert outcome.status is SelfTestStatus.NOT_SUPPORTED
    # It must not even have tried: the replay has no answer for `-t short`.
    assert not any("-t" in call for call in runner.calls)


class _NoSelfTestRunner:
    """A real drive's `--all` answer, and a constructed `-t short` answer of the shape
    docs/testing.md reports for QEMU's NVMe: exit 0 and no "has begun"."""

    def __init__(self) -> None:
        self.replay = ReplayRunner(CASES / "nvme-healthy-970evoplus", device="/dev/nvme0")

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        if "-t" in argv:
            now = datetime.now(UTC)
            return CommandEvidence(tuple(argv), 0, "", "", now, now)
        return self.replay.run(argv, timeout=timeout)


def test_a_drive_that_exits_0_but_runs_no_test_is_not_supported_never_passed() -> None:
    outcome = run_self_test("/dev/nvme0", "short", runner=_NoSelfTestRunner(), interface="nvme")
    assert outcome.status is SelfTestStatus.NOT_SUPPORTED
    assert "no test began" in outcome.detail
