"""The signed step records a wipe leaves in the journal: the disk as seen, each overwrite
pass, and the verification that judged the whole wipe.

They are appended in one transaction when the job ends (done, cancelled or failed), from
the final report, so a job killed mid-way leaves no half story: its resumed run records
every pass, with `resumed` and `resumed_from` saying what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from station.domain.disk import DiskIdentity
from station.domain.record import (
    ByteRange,
    DiskRef,
    DiskSeen,
    OverwritePass,
    StepBody,
    ToolRef,
    Verification,
    disk_ref_of,
)
from station.domain.wipe_report import WipeReport


class Stored(Protocol):
    @property
    def record_id(self) -> str: ...


class RecordSink(Protocol):
    """What a wipe needs of the journal (station.journal.store.Journal has it)."""

    def append_many(self, bodies: Sequence[StepBody]) -> Sequence[Stored]: ...


def _range(offset: int, length: int) -> ByteRange:
    return ByteRange(offset=offset, length=length)


def disk_ref(report: WipeReport) -> DiskRef:
    return disk_ref_of(report.target)


@dataclass(frozen=True)
class Provenance:
    """What the operator said about where the disk comes from (all optional)."""

    asset_tag: str | None = None
    lot: str | None = None
    donor: str | None = None


def disk_seen_body(
    identity: DiskIdentity,
    disk: DiskRef,
    operator: str,
    profile: str,
    at: datetime,
    provenance: Provenance | None = None,
) -> DiskSeen:
    """The record that opens a disk's session: which disk, where, judged eligible, and
    where it comes from (the certificate's asset tag, lot and donor)."""
    about = provenance or Provenance()
    return DiskSeen(
        created_at=at,
        slot=None if identity.slot is None else str(identity.slot),
        bus=identity.bus.value,
        media_kind=identity.media_kind.value,
        eligible=True,
        vendor=identity.vendor,
        firmware=identity.firmware,
        asset_tag=about.asset_tag or None,
        lot=about.lot or None,
        donor=about.donor or None,
        operator=operator,
        profile=profile,
        disk=disk,
    )


def records_for(
    report: WipeReport,
    identity: DiskIdentity,
    operator: str,
    pass_count: int,
    *,
    with_disk_seen: bool = True,
    provenance: Provenance | None = None,
) -> list[StepBody]:
    """The wipe's records; without its DiskSeen when the caller already recorded one
    (the bench sequence, a purge attempt before this Clear)."""
    disk = disk_ref(report)
    bodies: list[StepBody] = []
    if with_disk_seen:
        bodies.append(
            disk_seen_body(identity, disk, operator, report.profile, report.started_at, provenance)
        )
    for done in report.passes:
        ended = done.ended_at or report.ended_at or report.started_at
        bodies.append(
            OverwritePass(
                created_at=ended,
                pass_index=done.index,
                pass_count=pass_count,
                pattern=done.pattern,
                pattern_hex=done.pattern_hex,
                key_hex=done.random_key_hex,
                bytes_total=report.target.size_bytes,
                bytes_written=done.bytes_written,
                bad_ranges=[_range(r.offset, r.length) for r in done.bad_ranges],
                resumed=done.resumed_from is not None,
                resumed_from=done.resumed_from,
                completed=done.completed,
                stopped=None if done.completed else report.stopped,
                started_at=done.started_at,
                ended_at=ended,
                tool=ToolRef(name="station", version=report.tool_version),
                rate_bps=done.rate_bps,
                throughput_mbps=done.throughput_mbps,
                operator=operator,
                profile=report.profile,
                disk=disk,
            )
        )
    check = report.verification
    if check is not None:
        bodies.append(
            Verification(
                created_at=check.ended_at or report.ended_at or report.started_at,
                mode=check.mode,
                seed_hex=check.seed_hex,
                subsections=check.subsections,
                extent_percent=check.extent_percent,
                expected=check.expected,
                coverage_percent=min(100.0, check.coverage_percent),
                bytes_checked=check.bytes_read,
                mismatched_ranges=[_range(r.offset, r.length) for r in check.mismatches],
                unreadable_ranges=[_range(r.offset, r.length) for r in check.unreadable],
                # The verification record carries the wipe's overall result: it is the
                # step that judges the passes before it (bad sectors, cancellation...).
                result=report.result,
                operator=operator,
                profile=report.profile,
                disk=disk,
            )
        )
    return bodies
