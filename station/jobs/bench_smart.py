"""The SMART step of the bench sequence: the assessment record from one `read_smart`
report, and the drive's own self-test run so it can be followed and cancelled."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

from station.devices.runner import Runner
from station.devices.smart import (
    SelfTestKind,
    SelfTestOutcome,
    SmartReport,
    abort_self_test,
    run_self_test,
)
from station.domain.clock import utc_now
from station.domain.record import DiskRef, SelfTest, SmartAssessment
from station.domain.smart_verdict import SmartVerdict, Verdict, seen
from station.errors import JobCancelled

log = logging.getLogger(__name__)

RecordWord = Literal["healthy", "worn", "worn_out", "needs_review", "failing", "unknown"]


def record_word(verdict: SmartVerdict) -> RecordWord:
    """The record's one word, true to what was seen: "worn" only when wear is all there
    is, "failing" only when the drive fails for something other than wear alone."""
    words = set(seen(verdict))
    if verdict.verdict is Verdict.PASS:
        return "healthy"
    if verdict.verdict is Verdict.NOT_SUPPORTED:
        return "unknown"
    if verdict.verdict is Verdict.FAIL:
        return "worn_out" if words == {"worn_out"} else "failing"
    return "worn" if words == {"worn"} else "needs_review"


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
        created_at=utc_now(),
        operator=operator,
        disk=disk,
        verdict=record_word(report.verdict),
        seen=list(seen(report.verdict)),
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
        created_at=utc_now(),
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

    A cancelled test is stopped in the drive too (`smartctl -X`): an extended test would
    go on for hours and make the drive refuse the next run's test. The sequence stops
    before the erase, so no record claims a result for it."""

    def wait(seconds: float) -> None:
        if cancel.wait(seconds):
            raise JobCancelled(f"cancelled during the {kind} self-test")

    def progress(remaining: int | None) -> None:
        on_fraction(None if remaining is None else (100 - remaining) / 100)

    if cancel.is_set():
        raise JobCancelled(f"cancelled before the {kind} self-test")
    try:
        return run_self_test(
            target,
            kind,
            runner=runner,
            interface=interface,
            on_progress=progress,
            poll_s=poll_s,
            sleep=wait,
        )
    except JobCancelled:
        abort_self_test(target, runner=runner, interface=interface)
        raise
