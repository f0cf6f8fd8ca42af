"""The bench sequence's self-test step, replayed from a real drive's recorded outputs."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.devices.runner import ReplayRunner
from station.devices.safety import TargetInspection
from station.devices.smart import SelfTestStatus
from station.domain.disk import Bus, DiskIdentity
from station.domain.eligibility import DiskFacts, Eligibility
from station.domain.profiles import WipeProfile
from station.domain.smart_verdict import Verdict
from station.errors import JobCancelled
from station.jobs.bench_sequence import (
    SequenceOutcome,
    SequenceRequest,
    Stage,
    StageUpdate,
    Stop,
    _self_test_step,
    run_sequence,
)
from station.jobs.bench_smart import bench_self_test
from station.jobs.profiles import load_wipe_profile
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def replay() -> ReplayRunner:
    return ReplayRunner(CASES / "ata-hdd-wd20ezrx-short-selftest", device="/dev/sda")


def test_self_test_reports_fractions_and_passes() -> None:
    fractions: list[float | None] = []
    outcome = bench_self_test(
        "/dev/sda",
        "short",
        runner=replay(),
        interface="sat",
        on_fraction=fractions.append,
        cancel=threading.Event(),
        poll_s=0,
    )
    assert outcome.status is SelfTestStatus.PASSED
    assert fractions and fractions[-1] == 1.0


def test_a_cancelled_bench_sends_no_self_test() -> None:
    runner, cancel = replay(), threading.Event()
    cancel.set()
    with pytest.raises(JobCancelled):
        bench_self_test(
            "/dev/sda", "short", runner=runner, interface="sat", on_fraction=print, cancel=cancel
        )
    assert runner.calls == []


def test_a_test_left_running_is_stopped_before_ours_starts() -> None:
    """A drive met with a self-test under way (a bench stopped mid-test, another tool):
    smartctl would refuse to start another, so Station aborts it first, then runs its own."""
    runner = ReplayRunner(CASES / "ata-self-test-left-running", device="/dev/sda")
    outcome = bench_self_test(
        "/dev/sda", "short", runner=runner, interface="sat", on_fraction=print,
        cancel=threading.Event(), poll_s=0,
    )  # fmt: skip
    options = [call[3] for call in runner.calls]
    assert options[:4] == ["--all", "-X", "--all", "-t"], runner.calls
    assert outcome.status is SelfTestStatus.PASSED
    assert any(e.argv[3] == "-X" and "aborted!" in e.stdout for e in outcome.evidence)


def _request(runner: ReplayRunner, self_test: str) -> SequenceRequest:
    profile: WipeProfile = load_wipe_profile("nist-clear")
    return SequenceRequest(
        "/dev/sda",
        profile,
        runner,
        inspect=lambda _t: pytest.fail("not inspected here"),  # type: ignore[arg-type,return-value]
        operator="stagiaire-01",
        self_test=self_test,  # type: ignore[arg-type]
    )


def _inspection(bus: Bus) -> TargetInspection:
    identity = DiskIdentity(path="/dev/sda", name="sda", size_bytes=2 * 10**12, bus=bus)
    return TargetInspection.model_construct(identity=identity)  # type: ignore[call-arg]


def test_the_sequence_records_the_self_test_after_the_assessment() -> None:
    outcome = SequenceOutcome(Stage.FAILED)
    updates: list[StageUpdate] = []
    verdict = _self_test_step(
        _request(replay(), "short"),
        _inspection(Bus.ATA),
        outcome,
        Verdict.PASS,
        updates.append,
        threading.Event(),
    )
    assert verdict is Verdict.PASS
    [record] = outcome.smart_records
    assert record.kind == "self_test" and record.status == "passed"  # type: ignore[union-attr]
    assert record.commands and record.test == "short"  # type: ignore[union-attr]
    assert updates and all(u.stage is Stage.SMART for u in updates)


@pytest.mark.parametrize(
    ("self_test", "bus", "smart"),
    [
        ("none", Bus.ATA, Verdict.PASS),  # the bench does not ask for one
        ("short", Bus.LOOP, Verdict.PASS),  # smartctl has no device type for it
        ("short", Bus.ATA, Verdict.NOT_SUPPORTED),  # SMART gave nothing to begin with
    ],
)
def test_no_self_test_is_sent_when_it_cannot_mean_anything(
    self_test: str, bus: Bus, smart: Verdict
) -> None:
    runner, outcome = replay(), SequenceOutcome(Stage.FAILED)
    verdict = _self_test_step(
        _request(runner, self_test), _inspection(bus), outcome, smart, print, threading.Event()
    )
    assert verdict is smart and outcome.smart_records == [] and runner.calls == []


def test_a_disk_stopped_during_its_self_test_is_recorded_as_stopped(tmp_path: Path) -> None:
    """The whole sequence on the recorded drive: stopped while its self-test is under
    way, the journal holds the disk, its SMART assessment, then `work_cancelled`."""
    case = tmp_path / "case"
    shutil.copytree(CASES / "ata-hdd-wd20ezrx-short-selftest", case)
    running = CASES / "ata-hdd-wd30efrx-long-test-running" / "smartctl-a.txt"
    shutil.copy(running, case / "smartctl-a-running.txt")
    index = json.loads((case / "index.json").read_text())
    # Re-sequenced from real outputs (like ata-smart-disabled-then-enabled): the WD20EZRX
    # read before the test and when it starts, then a drive whose test is under way.
    for call in index["calls"]:
        if "--all" in call["argv"]:
            call["stdout"] = ["smartctl-a-after.txt"] * 2 + ["smartctl-a-running.txt"]
    # These recordings are smartctl's text only: its JSON read answers nothing readable.
    json_read = ["smartctl", "-d", "sat", "-x", "--json=c", "{device}"]
    index["calls"].append({"argv": json_read, "returncode": 1})
    shutil.copy(CASES / "ata-self-test-left-running" / "smartctl-x-abort.txt", case)
    abort = {"argv": ["smartctl", "-d", "sat", "-X", "{device}"], "stdout": "smartctl-x-abort.txt"}
    index["calls"].append(abort)
    (case / "index.json").write_text(json.dumps(index))
    runner = ReplayRunner(case, device="/dev/sda")
    identity = DiskIdentity(
        path="/dev/sda", name="sda", serial="WD-WCC4M0000001", size_bytes=2 * 10**12, bus=Bus.ATA
    )
    eligible = TargetInspection(
        identity=identity,
        eligibility=Eligibility(eligible=True),
        facts=DiskFacts(name="sda", size_bytes=identity.size_bytes),
    )
    stop = Stop()

    def on_update(update: StageUpdate) -> None:
        if update.stage is Stage.SMART and update.fraction is not None:
            stop.request("quit")  # the self-test is under way: quit the bench

    key = load_or_create_bench_key(tmp_path / "keys")
    with Journal(tmp_path / "journal.sqlite3", key) as journal:
        request = _request(runner, "short")
        request.inspect = lambda _t: eligible
        request.journal = journal
        outcome = run_sequence(request, on_update, stop)
        found = [
            r.body()
            for r in journal.records_between(
                datetime(2000, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
            )
        ]
    assert outcome.stage is Stage.CANCELLED and outcome.stopped_at == "self_test"
    assert outcome.result is None  # nothing was erased, nothing failed
    assert [b["kind"] for b in found] == ["disk_seen", "smart_assessment", "work_cancelled"]
    assert (found[-1]["stage"], found[-1]["requested_by"]) == ("self_test", "quit")
    assert found[-1]["disk"]["serial"] == "WD-WCC4M0000001"
    # The poll that saw it running, then the drive's own test stopped too (smartctl -X).
    assert runner.calls[-2][-2:] == ("--all", "/dev/sda")
    assert runner.calls[-1] == ("smartctl", "-d", "sat", "-X", "/dev/sda")
