"""The overwrite wipe job: safety check, passes, verification, result, with checkpoints.

Runs the same behind the CLI, the TUI and the VM tests. Once the target is open, every
outcome (done, cancelled, disk gone, too many bad sectors) comes back as a WipeReport
whose `result` says what really happened; only refusals and open failures raise.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station import __version__
from station.devices.blockio import BlockTarget
from station.devices.safety import TargetInspection, inspect_target
from station.domain.clock import utc_now
from station.domain.profiles import PassSpec, WipeProfile
from station.domain.progress import (
    Phase,
    ProgressEvent,
    ProgressSink,
    RateMeter,
    ThroughputTrace,
)
from station.domain.sampling import EXTENT_PERCENT, SUBSECTIONS
from station.domain.wipe_outcome import decide
from station.domain.wipe_report import (
    PassReport,
    TargetFacts,
    VerificationReport,
    WipeReport,
)
from station.errors import JobCancelled, MediaError, TargetGone, TargetRefused
from station.jobs.checkpoint import Checkpoint, CheckpointStore, profile_digest
from station.jobs.overwrite import DEFAULT_CHUNK, write_pass
from station.jobs.patterns import PatternSource, source_for
from station.jobs.verify import plan_extents, read_back
from station.jobs.wipe_records import Provenance, RecordSink, records_for

log = logging.getLogger(__name__)

MIB = 1024 * 1024


@dataclass
class WipeRequest:
    target: str
    profile: WipeProfile
    checkpoints: CheckpointStore | None = None
    operator: str | None = None
    # Asset tag, lot and donor as the operator gave them (the certificate prints them).
    provenance: Provenance | None = None
    fresh: bool = False  # ignore (and replace) a checkpoint left by an earlier run
    chunk: int = DEFAULT_CHUNK
    inspect: Callable[[str], TargetInspection] = field(default=inspect_target)
    # Where the signed step records go (the bench journal); None keeps no records.
    journal: RecordSink | None = None
    # False when the caller already put this session's DiskSeen in the journal.
    record_disk_seen: bool = True
    # Opens the target for writing; tests of the retry logic substitute a failing target.
    open_target: Callable[[str], BlockTarget] = field(
        default=lambda path: BlockTarget.open(path, write=True)
    )


def ensure_eligible(path: str, inspect: Callable[[str], TargetInspection]) -> TargetInspection:
    inspection = inspect(path)
    if not inspection.eligibility.eligible:
        reasons = inspection.eligibility.reason_texts("en")
        log.info("%s refused by the safety checks: %s", path, reasons)
        raise TargetRefused(path, reasons, inspection.eligibility.reason_texts("fr"))
    return inspection


def fingerprint(target: BlockTarget, inspection: TargetInspection) -> str:
    """Names the physical target for resume: the drive's own serial/WWN, never /dev/sdX."""
    ident = inspection.identity
    if target.is_block_device and (ident.serial or ident.wwn):
        return f"disk:{ident.serial}:{ident.wwn}:{ident.model}:{target.size}"
    backing = Path(f"/sys/block/{Path(target.path).name}/loop/backing_file")
    real = backing.read_text().strip() if backing.exists() else os.path.realpath(target.path)
    try:
        inode = Path(real).stat().st_ino
    except OSError:
        inode = 0
    return f"file:{real}:{inode}:{target.size}"


def target_facts(target: BlockTarget, inspection: TargetInspection) -> TargetFacts:
    ident = inspection.identity
    return TargetFacts(
        path=target.path,
        kind="block_device" if target.is_block_device else "file",
        size_bytes=target.size,
        logical_block_size=target.logical_block_size,
        physical_block_size=target.physical_block_size,
        direct_io=target.direct_io,
        model=ident.model,
        serial=ident.serial,
        wwn=ident.wwn,
        vendor=ident.vendor,
        rotational=ident.rotational,
        removable=ident.removable,
    )


class _Progress:
    """Turns byte counts into throttled ProgressEvents (at most ~4 a second)."""

    def __init__(self, sink: ProgressSink | None, target: str, clock: Callable[[], float]) -> None:
        self.sink, self.target, self.clock = sink, target, clock
        self.meter = RateMeter(clock)
        self.last = 0.0

    def start(self) -> None:
        self.meter = RateMeter(self.clock)
        self.last = 0.0

    def ticker(
        self,
        phase: Phase,
        total: int,
        index: int,
        count: int,
        trace: ThroughputTrace | None = None,
    ) -> Callable[[int], None]:
        def tick(done: int) -> None:
            if trace is not None:
                trace.update(done)
            rate, elapsed = self.meter.update(done)
            if self.sink is None or (done < total and self.clock() - self.last < 0.25):
                return
            self.last = self.clock()
            eta = RateMeter.eta(done, total, rate)
            self.sink(
                ProgressEvent(phase, done, total, rate, eta, elapsed, index, count, self.target)
            )

        return tick


def run_wipe(
    request: WipeRequest,
    *,
    on_event: ProgressSink | None = None,
    cancel: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> WipeReport:
    """Overwrite `request.target` with the profile's passes, then verify it (full or
    sampled read-back that bypasses the page cache), resuming from a checkpoint of the
    same disk and profile unless `request.fresh`.

    Promises: nothing is written unless the target passes the safety checks
    (`request.inspect`) and opens exclusively; the report's `result` is `cleared`,
    `cleared_with_warnings` or `failed` and says why, never more than was seen; when a
    journal is given, the records (DiskSeen unless `record_disk_seen` is False, each
    pass, the verification) are appended in one transaction at the end, also when the
    job was cancelled (`stopped="cancelled"`), lost its disk or hit media errors.
    Raises TargetRefused (safety checks), UsageError (no such path) and OSError from
    opening the device; write and read errors during the job end up in the report.
    """
    profile = request.profile
    inspection = ensure_eligible(request.target, request.inspect)
    with request.open_target(request.target) as target:
        key = fingerprint(target, inspection)
        digest = profile_digest(profile.model_dump(mode="json"))
        store = request.checkpoints
        resume = None
        if store is not None and not request.fresh:
            found = store.load(key)
            resume = found if found is not None and found.profile_digest == digest else None
        report = (
            resume.report.model_copy(deep=True)
            if resume
            else WipeReport(
                tool="station",
                tool_version=__version__,
                target=target_facts(target, inspection),
                profile=profile.name,
                method=profile.method,
                started_at=utc_now(),
                operator=request.operator,
            )
        )
        if resume is not None:
            report.resumed = True
        log.info(
            "wipe %s: profile %s, %s bytes, %s",
            request.target,
            profile.name,
            report.target.size_bytes,
            "resuming from a checkpoint" if resume else "from the start",
        )
        job = _Job(request, target, report, key, digest, on_event, cancel, clock)
        try:
            job.run(resume)
        except JobCancelled:
            report.stopped = "cancelled"
        except TargetGone as exc:
            report.stopped = "target_gone"
            report.reasons.append(exc.one_line())
        except MediaError:
            report.stopped = "media_errors"
        finished = report.stopped is None
        report.ended_at = utc_now()
        report.duration_s = round((report.ended_at - report.started_at).total_seconds(), 3)
        result, reasons = decide(report, profile.io_errors, len(profile.passes))
        report.result = result
        report.reasons = [*report.reasons, *reasons]
        log.info(
            "wipe %s ended: %s (stopped=%s) %s",
            request.target,
            result.value,
            report.stopped,
            report.reasons,
        )
        if request.journal is not None:
            bodies = records_for(
                report,
                inspection.identity,
                request.operator or "bench",
                len(profile.passes),
                with_disk_seen=request.record_disk_seen,
                provenance=request.provenance,
            )
            stored = request.journal.append_many(bodies)
            report.record_ids = [item.record_id for item in stored]
        if store is not None and (finished or report.stopped == "media_errors"):
            try:
                store.clear(key)
            except OSError as exc:  # the stick is out: a stale checkpoint only offers a resume
                log.warning("checkpoint of %s not cleared: %s", request.target, exc)
        return report


class _Job:
    def __init__(
        self,
        request: WipeRequest,
        target: BlockTarget,
        report: WipeReport,
        key: str,
        digest: str,
        sink: ProgressSink | None,
        cancel: threading.Event | None,
        clock: Callable[[], float],
    ) -> None:
        self.request, self.target, self.report = request, target, report
        self.key, self.digest, self.cancel = key, digest, cancel
        self.progress = _Progress(sink, target.path, clock)
        every = request.profile.checkpoint_every_mib * MIB
        self.checkpoint_every = every

    def save(self, pass_index: int, offset: int) -> None:
        if self.request.checkpoints is None:
            return
        try:
            self.request.checkpoints.save(
                Checkpoint(
                    fingerprint=self.key,
                    profile_digest=self.digest,
                    pass_index=pass_index,
                    offset=offset,
                    report=self.report,
                )
            )
        except OSError as exc:
            # The checkpoints are on the stick: pulled, the erase goes on without them
            # (they only let a crashed erase resume) and its records wait in memory.
            log.warning("checkpoint not saved (%s): %s", self.target.path, exc)

    def run(self, resume: Checkpoint | None) -> None:
        profile = self.request.profile
        first_pass = resume.pass_index if resume else 1
        previous: PatternSource | None = None
        count = len(profile.passes)
        for index, spec in enumerate(profile.passes, start=1):
            if index < first_pass:
                recorded = self.report.passes[index - 1]
                key = bytes.fromhex(recorded.random_key_hex) if recorded.random_key_hex else None
                previous = source_for(spec, previous, key)
                continue
            start = resume.offset if resume and index == first_pass else 0
            source, pass_report = self._pass_source(index, spec, previous, start)
            self.progress.start()
            trace = ThroughputTrace(self.target.size, self.progress.clock)
            write_pass(
                self.target,
                source,
                pass_report,
                start=start,
                policy=profile.io_errors,
                tick=self.progress.ticker("overwrite", self.target.size, index, count, trace),
                checkpoint=functools.partial(self.save, index),
                checkpoint_every=self.checkpoint_every,
                cancel=self.cancel,
                chunk=self.request.chunk,
            )
            pass_report.completed = True
            pass_report.ended_at = utc_now()
            if start == 0:  # a resumed pass has no curve for the part written before the crash
                pass_report.throughput_mbps = trace.samples
            seconds = (pass_report.ended_at - pass_report.started_at).total_seconds()
            if seconds > 0 and start == 0:
                pass_report.rate_bps = round(self.target.size / seconds)
            self.save(index + 1, 0)
            previous = source
        assert previous is not None
        self._verify(previous)

    def _pass_source(
        self, index: int, spec: PassSpec, previous: PatternSource | None, start: int
    ) -> tuple[PatternSource, PassReport]:
        if start and len(self.report.passes) >= index:
            pass_report = self.report.passes[index - 1]
            pass_report.resumed_from = start
            key = bytes.fromhex(pass_report.random_key_hex) if pass_report.random_key_hex else None
            return source_for(spec, previous, key), pass_report
        del self.report.passes[index - 1 :]
        source = source_for(spec, previous)
        pass_report = PassReport(
            index=index,
            pattern=spec.pattern,
            pattern_hex=None if source.is_random else source.period.hex(),
            random_key_hex=source.key.hex() if source.key else None,
            started_at=utc_now(),
        )
        self.report.passes.append(pass_report)
        return source, pass_report

    def _verify(self, source: PatternSource) -> None:
        spec = self.request.profile.verification
        extents, mode, seed, why = plan_extents(
            self.target,
            spec.mode,
            subsections=spec.subsections,
            percent=spec.extent_percent,
            full_below=spec.full_below_mib * MIB,
        )
        report = VerificationReport(
            mode="full" if mode == "full" else "sampled",
            reason=why,
            seed_hex=seed.hex() if seed else None,
            subsections=spec.subsections if mode == "sampled" else None,
            extent_percent=spec.extent_percent if mode == "sampled" else None,
            expected=source.describe(),
            started_at=utc_now(),
        )
        self.report.verification = report
        total = sum(extent.length for extent in extents)
        self.progress.start()
        count = len(self.request.profile.passes)
        read_back(
            self.target,
            source,
            extents,
            report,
            retries=self.request.profile.io_errors.retries,
            max_bad_sectors=self.request.profile.io_errors.max_bad_sectors,
            tick=self.progress.ticker("verify", total, count, count),
            cancel=self.cancel,
            chunk=self.request.chunk,
        )
        report.ended_at = utc_now()


def reverify(
    path: str, report: WipeReport, *, cancel: threading.Event | None = None
) -> VerificationReport:
    """Re-run the verification a report describes (same seed, same expected bytes), read-only.

    Lets an auditor, or a test, check later that the media still reads as the wipe left it.
    """
    if report.verification is None or not report.passes:
        raise ValueError("the report has no verification to repeat")
    last = report.passes[-1]
    if last.random_key_hex:
        source = PatternSource(last.pattern, key=bytes.fromhex(last.random_key_hex))
    else:
        source = PatternSource(last.pattern, bytes.fromhex(last.pattern_hex or "00"))
    recorded = report.verification
    with BlockTarget.open(path, write=False) as target:
        seed = bytes.fromhex(recorded.seed_hex) if recorded.seed_hex else None
        extents, mode, seed, why = plan_extents(
            target,
            recorded.mode,
            subsections=recorded.subsections or SUBSECTIONS,
            percent=recorded.extent_percent or EXTENT_PERCENT,
            full_below=0,
            seed=seed,
        )
        again = VerificationReport(
            mode="full" if mode == "full" else "sampled",
            reason=why,
            seed_hex=seed.hex() if seed else None,
            subsections=recorded.subsections,
            extent_percent=recorded.extent_percent,
            expected=source.describe(),
            started_at=utc_now(),
        )
        read_back(
            target,
            source,
            extents,
            again,
            retries=1,
            max_bad_sectors=1 << 40,
            tick=lambda done: None,
            cancel=cancel,
        )
        again.ended_at = utc_now()
        return again
