"""The SMART assessment record of the bench sequence, from one `read_smart` report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from station.devices.runner import CommandEvidence
from station.devices.smart import SelfTestOutcome, SmartReport
from station.domain.record import CommandEvidence as EvidenceRecord
from station.domain.record import DiskRef, SelfTest, SmartAssessment
from station.domain.smart_verdict import Verdict

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
    evidence: Callable[[CommandEvidence], EvidenceRecord],
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
        findings=[r.code for r in report.verdict.reasons],
        commands=[evidence(e) for e in report.evidence],
    )


def self_test_record(
    outcome: SelfTestOutcome,
    disk: DiskRef,
    operator: str,
    evidence: Callable[[CommandEvidence], EvidenceRecord],
) -> SelfTest:
    """The self-test as the drive reported it: one that never ran is not 'passed'."""
    return SelfTest(
        created_at=datetime.now(UTC),
        operator=operator,
        disk=disk,
        test="extended" if outcome.kind == "long" else "short",
        status=outcome.status.value,
        commands=[evidence(e) for e in outcome.evidence],
    )
