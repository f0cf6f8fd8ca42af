"""The result of an overwrite wipe, decided from what actually happened (never assumed)."""

from __future__ import annotations

from station.domain.profiles import IoErrorPolicy
from station.domain.results import Result
from station.domain.wipe_report import ByteRange, WipeReport


def bad_sector_count(ranges: list[ByteRange], sector_size: int) -> int:
    return sum(-(-r.length // sector_size) for r in ranges)


def decide(report: WipeReport, policy: IoErrorPolicy, pass_count: int) -> tuple[Result, list[str]]:
    """`cleared` only when every pass completed and the read-back matched everywhere."""
    reasons: list[str] = []
    sector = report.target.logical_block_size
    if report.stopped == "cancelled":
        reasons.append("cancelled by the operator before the end")
    elif report.stopped == "target_gone":
        reasons.append("the disk disappeared during the job")
    elif report.stopped == "media_errors":
        reasons.append(f"more than {policy.max_bad_sectors} sectors failed")
    done = [p for p in report.passes if p.completed]
    if len(done) < pass_count:
        reasons.append(f"only {len(done)} of {pass_count} passes completed")
    verification = report.verification
    if verification is None or not verification.completed:
        reasons.append("verification did not complete")
    elif verification.mismatches:
        wrong = sum(r.length for r in verification.mismatches)
        reasons.append(f"{wrong} bytes did not read back as written")
    if reasons:
        return Result.FAILED, reasons
    unwritten = [r for p in report.passes for r in p.bad_ranges]
    unreadable = verification.unreadable if verification else []
    bad = bad_sector_count(unwritten, sector) + bad_sector_count(unreadable, sector)
    if bad > policy.max_bad_sectors:
        return Result.FAILED, [f"{bad} bad sectors, more than the {policy.max_bad_sectors} allowed"]
    if bad:
        return Result(policy.result), [
            f"{bad} sectors could not be written or read back; their ranges are listed"
        ]
    return Result.CLEARED, ["every pass completed and the read-back matched"]
