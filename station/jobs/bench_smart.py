"""The SMART step of the bench sequence: the assessment record from one `read_smart`
report, and the drive's own self-test run so it can be followed and cancelled."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from station.devices.runner import Runner
from station.devices.smart import SelfTestKind, SelfTestOutcome, SmartReport, run_self_test
from station.domain.record import DiskRef, SelfTest, SmartAssessment
from station.domain.smart_verdict import Verdict
from station.errors import JobCancelled

log = logging.getLogger(__name__)

VERDICT_WORD: dict[Verdict, Literal["healthy", "worn", "failing", "unknown"]] = {
    Verdict.PASS: "healthy",
    Verdict.WARN: "worn",
    Verdict.FAIL: "failing",
    Verdict.NOT_SUPPORTED: "unknown",
}


def smart_record(
    report: SmartReport,
    disk: DiskRef,
    operator: str,
) -> SmartAssessment:
    facts = report.facts
    health: Literal["passed", "failed", "unknown"] = (
        "unknown"
        if facts.overall_passed is None
        else "passed"
        if facts.overall_passed
        else "failed"
    )
    return SmartAssessment(
        created_at=datetime.now(UTC),
        operator=operator,
        disk=disk,
        verdict=VERDICT_WORD[report.verdict.verdict],
        overall_health=health,
        reallocated_sectors=facts.reallocated_sectors,
        pending_sectors=facts.pending_sectors,
        media_errors=facts.media_errors,
        percentage_used=facts.percentage_used,
        model_family=facts.model_family,
        findings=[r.code for r in report.verdict.reasons],
        commands=[e.to_command_record() for e in report.evidence],
    )


def self_test_record(
    outcome: SelfTestOutcome,
    disk: DiskRef,
    operator: str,
) -> SelfTest:
    """The self-test as the drive reported it: one that never ran is not 'passed'."""
    return SelfTest(
        created_at=datetime.now(UTC),
        operator=operator,
        disk=disk,
        test="extended" if outcome.kind == "long" else "short",
        status=outcome.status.value,
        commands=[e.to_command_record() for e in outcome.evidence],
    )


def bench_self_test(
    target: str,
    kind: SelfTestKind,
    *,
    runner: Runner,
    interface: str,
    on_fraction: Callable[[float | None], None],
    cancel: threading.Event,
    poll_s: float = 10.0,
) -> SelfTestOutcome:
    """Run the drive's self-test, reporting the fraction done; JobCancelled when asked.

    A cancelled test is left to the drive (it ends by itself and writes nothing): the
    sequence stops before the erase, so no record claims a result for it."""

    def wait(seconds: float) -> None:
        if cancel.wait(seconds):
            raise JobCancelled(f"cancelled during the {kind} self-test")

    def progress(remaining: int | None) -> None:
        on_fraction(None if remaining is None else (100 - remaining) / 100)

    if cancel.is_set():
        raise JobCancelled(f"cancelled before the {kind} self-test")
    return run_self_test(
        target,
        kind,
        runner=runner,
        interface=interface,
        on_progress=progress,
        poll_s=poll_s,
        sleep=wait,
    )
