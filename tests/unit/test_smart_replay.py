"""SMART through smartctl, replayed from recorded outputs of real drives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from station.devices.runner import CommandEvidence, ReplayRunner
from station.devices.smart import SelfTestStatus, read_smart, run_self_test, smartctl_type
from station.domain.disk import Bus, DiskIdentity
from station.domain.smart_verdict import Verdict

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def test_nvme_read_with_every_command_recorded() -> None:
    runner = ReplayRunner(CASES / "nvme-healthy-970evoplus", device="/dev/nvme0")
    report = read_smart("/dev/nvme0", runner=runner, interface="nvme", sources=("text",))
    assert report.verdict.verdict is Verdict.PASS
    assert report.facts.serial == "S4EVNX0NA32843N"
    assert [e.argv for e in report.evidence] == [("smartctl", "-d", "nvme", "--all", "/dev/nvme0")]
    record = report.to_record()
    assert record["commands"][0]["stdout_sha256"]  # type: ignore[index]


def test_json_evidence_is_kept_and_judged() -> None:
    runner = ReplayRunner(CASES / "sata-ssd-samsung860evo-json", device="/dev/sda")
    report = read_smart("/dev/sda", runner=runner, interface="sat", sources=("json",))
    assert report.raw_json is not None and report.raw_json["model_name"].startswith("Samsung")
    assert report.verdict.verdict is Verdict.PASS


def test_sas_drive_read_from_text() -> None:
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


def test_smart_switched_off_is_switched_on_then_read_again() -> None:
    runner = ReplayRunner(CASES / "ata-smart-disabled-then-enabled", device="/dev/sda")
    report = read_smart("/dev/sda", runner=runner, interface="sat")
    assert runner.count(["smartctl", "-d", "sat", "-s", "on", "/dev/sda"]) == 1
    assert report.smart_switched_on
    assert report.verdict.verdict is Verdict.PASS
    assert report.to_record()["smart_switched_on"] is True


def test_smart_that_will_not_switch_on_is_not_supported_with_the_reason() -> None:
    runner = ReplayRunner(CASES / "ata-hdd-st3320310cs-smart-disabled", device="/dev/sda")
    report = read_smart("/dev/sda", runner=runner, interface="sat")
    assert runner.count(["smartctl", "-d", "sat", "-s", "on", "/dev/sda"]) == 1
    assert not report.smart_switched_on
    assert report.verdict.verdict is Verdict.NOT_SUPPORTED
    assert [r.code for r in report.verdict.reasons] == ["smart_disabled"]


def test_one_device_type_decision_for_usb_nvme_bridges(tmp_path: Path) -> None:
    """An NVMe in an ASMedia ASM2362 enclosure needs -d sntasmedia, a SATA dock -d sat."""
    usb = tmp_path / "devices/pci0000:00/0000:00:14.0/usb2/2-1"
    disk = usb / "2-1:1.0/host6/target6:0:0/6:0:0:0"
    (disk / "block/sda").mkdir(parents=True)
    (usb / "idVendor").write_text("174c\n")
    (usb / "idProduct").write_text("2362\n")
    (tmp_path / "class/block").mkdir(parents=True)
    (tmp_path / "class/block/sda").symlink_to(disk / "block/sda")
    (disk / "block/sda/device").symlink_to(disk)
    identity = DiskIdentity(path="/dev/sda", name="sda", size_bytes=1, bus=Bus.USB)
    assert smartctl_type(identity, tmp_path) == "sntasmedia"
    (usb / "idProduct").write_text("0583\n")  # not an ASMedia id: a plain SAT bridge
    assert smartctl_type(identity, tmp_path) == "sat"
    nvme = DiskIdentity(path="/dev/nvme0n1", name="nvme0n1", size_bytes=1, bus=Bus.NVME)
    assert smartctl_type(nvme, tmp_path) == "nvme"
    loop = DiskIdentity(path="/dev/loop0", name="loop0", size_bytes=1, bus=Bus.LOOP)
    assert smartctl_type(loop, tmp_path) is None


def test_replayed_bridge_nvme_with_the_snt_type_is_judged() -> None:
    runner = ReplayRunner(CASES / "usb-nvme-asmedia-smartctl75", device="/dev/sda")
    report = read_smart("/dev/sda", runner=runner, interface="sntasmedia")
    assert report.facts.protocol == "nvme"
    assert report.verdict.verdict is Verdict.PASS
