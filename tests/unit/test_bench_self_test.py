"""The bench sequence's self-test step, replayed from a real drive's recorded outputs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from station.devices.runner import ReplayRunner
from station.devices.safety import TargetInspection
from station.devices.smart import SelfTestStatus
from station.domain.disk import Bus, DiskIdentity
from station.domain.profiles import WipeProfile
from station.domain.smart_verdict import Verdict
from station.errors import JobCancelled
from station.jobs.bench_sequence import (
    SequenceOutcome,
    SequenceRequest,
    Stage,
    StageUpdate,
    _self_test_step,
)
from station.jobs.bench_smart import bench_self_test
from station.jobs.profiles import load_wipe_profile

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
