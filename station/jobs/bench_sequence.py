"""The bench's "Reconditionner" sequence for one disk: SMART -> purge/clear ->
verification -> image -> records, reporting each stage as a `StageUpdate`.

Synchronous and UI-free (the TUI runs it in a worker thread and turns the updates into
messages). Every stage that did not happen is reported as such: a SMART read that gave
nothing is "not available", never "healthy"; a cancelled erase is "cancelled", never done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from station.devices import mmc
from station.devices.runner import Runner
from station.devices.safety import TargetInspection
from station.devices.smart import SelfTestStatus, SmartReport, read_smart, smartctl_type
from station.domain.clock import utc_now
from station.domain.disk import MediaKind
from station.domain.image_profile import ImageProfile
from station.domain.notes import note_or_technical
from station.domain.profiles import WipeProfile
from station.domain.progress import ProgressEvent
from station.domain.record import (
    CancelledStage,
    DiskRef,
    SelfTest,
    SmartAssessment,
    WorkCancelled,
    disk_ref_of,
)
from station.domain.results import Result
from station.domain.smart_verdict import Verdict
from station.domain.text import LocalizedText
from station.errors import JobCancelled, StationError, TargetRefused
from station.imaging.licence import ACPI_TABLES
from station.imaging.profiles import zero_basis
from station.imaging.stick_source import StickWait
from station.jobs.bench_smart import bench_self_test, self_test_record, smart_record
from station.jobs.checkpoint import CheckpointStore
from station.jobs.deploy import DeployRequest, run_deploy
from station.jobs.sanitize import (
    SanitizeOutcome,
    UnfreezeChoice,
    run_sanitize,
)
from station.jobs.wipe import WipeRequest, ensure_eligible
from station.jobs.wipe_records import Provenance, disk_seen_body
from station.journal.store import Journal

log = logging.getLogger(__name__)


class Stage(StrEnum):
    WAITING = "waiting"
    SMART = "smart"
    ERASING = "erasing"
    VERIFYING = "verifying"
    DEPLOYING = "deploying"
    DONE = "done"
    FAILED = "failed"
    REFUSED = "refused"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (Stage.DONE, Stage.FAILED, Stage.REFUSED, Stage.CANCELLED)


StopReason = Literal["stop_key", "quit"]


class Stop(threading.Event):
    """The cancel event of one disk's sequence that also says who asked for the stop
    (the operator's stop key, or quitting the bench), for the `work_cancelled` record."""

    def __init__(self) -> None:
        super().__init__()
        self.requested_by: StopReason | None = None

    def request(self, by: StopReason) -> None:
        if self.requested_by is None:
            self.requested_by = by
        self.set()


@dataclass(frozen=True)
class StageUpdate:
    target: str
    stage: Stage
    fraction: float | None = None
    rate_bps: float | None = None
    eta_s: float | None = None
    pass_index: int = 0
    pass_count: int = 1
    unstoppable: bool = False  # the drive's own purge is running: no stop reaches it
    waiting_for_stick: bool = False  # the image's stick was pulled: the deploy waits


@dataclass
class SequenceRequest:
    target: str
    wipe: WipeProfile
    runner: Runner
    inspect: Callable[[str], TargetInspection]
    operator: str
    image: ImageProfile | None = None
    image_dir: Path | None = None
    asset_tag: str | None = None
    journal: Journal | None = None
    checkpoints: CheckpointStore | None = None
    # Asks the operator what to do with a drive the BIOS froze (None: no purge then).
    ask_unfreeze: Callable[[], UnfreezeChoice] | None = None
    # The drive's own self-test before the erase (the bench profile's smart_self_test).
    self_test: Literal["none", "short", "long"] = "none"
    # The disk goes into another machine (the bench profile's dock): no OEM key check.
    dock: bool = False
    # The image is read from the Station stick: how the deploy waits out a pull.
    stick: StickWait | None = None


@dataclass
class SequenceOutcome:
    stage: Stage  # DONE, FAILED, REFUSED or CANCELLED
    result: Result | None = None  # the erasure's result, None when it did not run
    smart: Verdict | None = None
    deployed: bool | None = None  # None: no image step
    reasons: list[LocalizedText] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    sanitize: SanitizeOutcome | None = None
    # SMART assessment and self-test records, sealed once the erase job has begun.
    smart_records: list[SmartAssessment | SelfTest] = field(default_factory=list)
    # Where a stopped sequence stopped (its `work_cancelled` record says the same).
    stopped_at: CancelledStage | None = None


PHASE_STAGE = {
    "overwrite": Stage.ERASING,
    "purge": Stage.ERASING,
    "watermark": Stage.ERASING,
    "verify": Stage.VERIFYING,
    "deploy": Stage.DEPLOYING,
    "selftest": Stage.SMART,
}


def _text(fr: str, en: str) -> LocalizedText:
    return LocalizedText(fr=fr, en=en)


def _error(exc: StationError) -> LocalizedText:
    """An error in both languages (English only when it has no French words yet: the
    screen then shows it as a technical note)."""
    return _text(exc.one_line_in("fr"), exc.one_line())


def run_sequence(
    request: SequenceRequest,
    on_update: Callable[[StageUpdate], None],
    cancel: threading.Event,
) -> SequenceOutcome:
    """Recondition one disk: safety check, SMART (and self-test), erase (purge or clear
    as the wipe profile plans), then the image when the bench has one.

    Every step is signed into `request.journal`; progress goes to `on_update`; `cancel`
    stops between chunks (a running firmware sanitize cannot be stopped). The outcome
    says how it ended (DONE, REFUSED, CANCELLED, FAILED) with reasons in French and
    English; expected failures never raise. An unexpected exception is logged with its
    traceback in the technical log, then raised for the front end to report.
    """
    outcome = SequenceOutcome(Stage.FAILED)
    log.info("sequence start: %s (operator %s)", request.target, request.operator)
    try:
        result = _run(request, on_update, cancel, outcome)
    except Exception:
        log.exception("sequence crashed on %s", request.target)
        raise
    finally:
        _seal_smart(request, outcome)
    log.info(
        "sequence end: %s stage=%s result=%s deployed=%s reasons=%s",
        request.target,
        result.stage,
        result.result,
        result.deployed,
        [r.en for r in result.reasons],
    )
    return result


def _run(
    request: SequenceRequest,
    on_update: Callable[[StageUpdate], None],
    cancel: threading.Event,
    outcome: SequenceOutcome,
) -> SequenceOutcome:
    target = request.target

    def forward(event: ProgressEvent) -> None:
        on_update(
            StageUpdate(
                target,
                PHASE_STAGE.get(event.phase, Stage.ERASING),
                event.fraction,
                event.rate_bps,
                event.eta_s,
                event.pass_index,
                event.pass_count,
                event.unstoppable,
                event.waiting_for_stick,
            )
        )

    try:
        inspection = ensure_eligible(target, request.inspect)
    except TargetRefused as exc:
        outcome.stage = Stage.REFUSED
        outcome.reasons.append(_error(exc))
        log.info("%s refused: %s", target, exc.one_line())
        return outcome
    _record_disk_seen(request, inspection, outcome)
    on_update(StageUpdate(target, Stage.SMART))
    smart = _smart_step(request, inspection, outcome)
    stopped = _Stopper(request, inspection, outcome, cancel)
    try:
        smart = _self_test_step(request, inspection, outcome, smart, on_update, cancel)
    except JobCancelled:
        return stopped("self_test")
    if cancel.is_set():
        return stopped("smart")
    _seal_smart(request, outcome)  # before the erase's records: the journal follows time
    on_update(StageUpdate(target, Stage.ERASING, 0.0))
    wipe = WipeRequest(
        target,
        request.wipe,
        checkpoints=request.checkpoints,
        operator=request.operator,
        provenance=Provenance(asset_tag=request.asset_tag),
        inspect=request.inspect,
        journal=request.journal,
        record_disk_seen=False,  # the sequence opened the session before SMART
    )
    try:
        sanitized = run_sanitize(
            wipe,
            request.runner,
            on_event=forward,
            cancel=cancel,
            ask_unfreeze=request.ask_unfreeze,
        )
    except JobCancelled:
        return stopped("erase")
    except TargetRefused as exc:
        outcome.stage = Stage.REFUSED
        outcome.reasons.append(_error(exc))
        return outcome
    except StationError as exc:
        outcome.reasons.append(_error(exc))
        return outcome
    outcome.sanitize = sanitized
    outcome.result = sanitized.result
    outcome.record_ids += sanitized.record_ids
    plan = sanitized.plan
    if plan is not None and plan.method == "clear" and plan.reason is not None:
        outcome.reasons.append(
            _text(
                f"Purge impossible : {plan.reason.fr} ; effacement par réécriture (Clear) "
                "à la place.",
                f"Purge not possible: {plan.reason.en}; overwrite (Clear) instead.",
            )
        )
    outcome.reasons += [
        note
        for note in sanitized.notes()
        if not note.en.startswith("Purge not possible") and note != sanitized.not_reusable
    ]
    if sanitized.wipe is not None and sanitized.wipe.stopped == "cancelled":
        return stopped(_wipe_stage(sanitized))
    if not sanitized.result.ok:
        return outcome
    if sanitized.not_reusable is not None:
        # Erased, but a password would lock it at the recipient's: set aside, no image.
        outcome.reasons.append(sanitized.not_reusable)
        outcome.stage = Stage.DONE
        return outcome
    if smart is Verdict.FAIL:
        outcome.reasons.append(
            _text(
                "Disque effacé mais en mauvaise santé (SMART) : pas d'image, à écarter.",
                "Disk erased but unhealthy (SMART): no image, set it aside.",
            )
        )
        outcome.stage = Stage.DONE
        return outcome
    if request.image is not None:
        _image_step(request, inspection, sanitized, outcome, forward, cancel)
        if cancel.is_set() and not outcome.deployed:
            return stopped("image_deploy")
        if not outcome.deployed:
            return outcome
    outcome.stage = Stage.DONE
    return outcome


STOPPED_WORDS: dict[CancelledStage, LocalizedText] = {
    "smart": _text(
        "Arrêté à la demande avant l'effacement : rien n'a été écrit sur le disque.",
        "Stopped on request before the erase: nothing was written to the disk.",
    ),
    "self_test": _text(
        "Arrêté à la demande pendant l'autotest : rien n'a été écrit sur le disque.",
        "Stopped on request during the self-test: nothing was written to the disk.",
    ),
    "erase": _text(
        "Arrêté à la demande : le disque n'est PAS entièrement effacé.",
        "Stopped on request: the disk is NOT fully erased.",
    ),
    "verification": _text(
        "Arrêté à la demande pendant la vérification : l'effacement n'est PAS prouvé.",
        "Stopped on request during the check: the erasure is NOT proved.",
    ),
    "image_deploy": _text(
        "Arrêté à la demande pendant l'image : le disque est effacé, mais sans image.",
        "Stopped on request during the image: the disk is erased, but has no image.",
    ),
}


class _Stopper:
    """Ends a sequence that was asked to stop: says where it stopped and signs a
    `work_cancelled` record, so the journal never leaves a stopped disk unexplained."""

    def __init__(
        self,
        request: SequenceRequest,
        inspection: TargetInspection,
        outcome: SequenceOutcome,
        cancel: threading.Event,
    ) -> None:
        self.request, self.inspection, self.outcome = request, inspection, outcome
        self.cancel = cancel

    def __call__(self, stage: CancelledStage) -> SequenceOutcome:
        outcome = self.outcome
        outcome.stage = Stage.CANCELLED
        outcome.stopped_at = stage
        outcome.reasons.append(STOPPED_WORDS[stage])
        journal = self.request.journal
        if journal is not None:
            _seal_smart(self.request, outcome)  # the SMART records come first in time
            body = WorkCancelled(
                created_at=utc_now(),
                operator=self.request.operator,
                profile=self.request.wipe.name,
                disk=disk_ref_of(self.inspection.identity, self.request.target),
                stage=stage,
                requested_by=self.cancel.requested_by if isinstance(self.cancel, Stop) else None,
            )
            outcome.record_ids += [s.record_id for s in journal.append_many([body])]
        log.info("%s stopped on request during %s", self.request.target, stage)
        return outcome


def _wipe_stage(sanitized: SanitizeOutcome) -> CancelledStage:
    """A wipe whose passes were all written was stopped during its read-back."""
    wipe = sanitized.wipe
    verifying = wipe is not None and wipe.verification is not None and bool(wipe.passes)
    if verifying and wipe is not None and all(p.completed for p in wipe.passes):
        return "verification"
    return "erase"


def _smart_step(
    request: SequenceRequest, inspection: TargetInspection, outcome: SequenceOutcome
) -> Verdict:
    try:
        if inspection.identity.media_kind is MediaKind.EMMC:
            # eMMC has no SMART: its EXT_CSD life-time estimates and pre-EOL say it.
            report: SmartReport = mmc.read_health(request.target, request.runner)
        else:
            report = read_smart(
                request.target,
                runner=request.runner,
                interface=smartctl_type(inspection.identity),
            )
    except StationError as exc:
        outcome.smart = Verdict.NOT_SUPPORTED
        outcome.reasons.append(
            _text(
                f"SMART non disponible sur ce disque ({exc.one_line_in('fr')}).",
                f"SMART not available on this disk ({exc.one_line()}).",
            )
        )
        return Verdict.NOT_SUPPORTED
    outcome.smart = report.verdict.verdict
    outcome.reasons += [r.message for r in report.verdict.reasons]
    outcome.smart_records.append(smart_record(report, _disk_ref(inspection), request.operator))
    return report.verdict.verdict


def _self_test_step(
    request: SequenceRequest,
    inspection: TargetInspection,
    outcome: SequenceOutcome,
    smart: Verdict,
    on_update: Callable[[StageUpdate], None],
    cancel: threading.Event,
) -> Verdict:
    """The drive's own test, when the bench asks for one and SMART answered at all.
    A failed test makes the disk unhealthy (erased, then set aside, like a SMART FAIL);
    one the drive aborted or does not offer is said, never counted as passed."""
    interface = smartctl_type(inspection.identity)
    if request.self_test == "none" or interface is None or smart is Verdict.NOT_SUPPORTED:
        return smart
    target = request.target

    def fraction(done: float | None) -> None:
        on_update(StageUpdate(target, Stage.SMART, done))

    tested = bench_self_test(
        target,
        request.self_test,
        runner=request.runner,
        interface=interface,
        on_fraction=fraction,
        cancel=cancel,
    )
    outcome.smart_records.append(self_test_record(tested, _disk_ref(inspection), request.operator))
    kind = {"short": ("court", "short"), "long": ("long", "long")}[request.self_test]
    if tested.status is SelfTestStatus.FAILED:
        outcome.smart = Verdict.FAIL
        outcome.reasons.append(
            _text(
                f"L'autotest {kind[0]} du disque a échoué ({tested.detail}).",
                f"The disk's {kind[1]} self-test failed ({tested.detail}).",
            )
        )
        return Verdict.FAIL
    if tested.status is not SelfTestStatus.PASSED:
        outcome.reasons.append(
            _text(
                f"Autotest {kind[0]} non réalisé : {tested.detail}.",
                f"{kind[1].capitalize()} self-test not done: {tested.detail}.",
            )
        )
    return smart


def _record_disk_seen(
    request: SequenceRequest, inspection: TargetInspection, outcome: SequenceOutcome
) -> None:
    """Open the disk's session in the journal before any check, so every record of the
    sequence (SMART, self-test, erase, image) follows it in the order it happened."""
    if request.journal is None:
        return
    body = disk_seen_body(
        inspection.identity,
        disk_ref_of(inspection.identity, request.target),
        request.operator,
        request.wipe.name,
        utc_now(),
        Provenance(asset_tag=request.asset_tag),
    )
    outcome.record_ids += [s.record_id for s in request.journal.append_many([body])]


def _seal_smart(request: SequenceRequest, outcome: SequenceOutcome) -> None:
    """The SMART and self-test records join the journal as soon as the checks are over
    (before the erase), or when the sequence ends early; domain.sessions keeps them in
    the same disk session as the erase that follows."""
    bodies, outcome.smart_records = outcome.smart_records, []
    if bodies and request.journal is not None:
        stored = request.journal.append_many(bodies)
        outcome.record_ids += [item.record_id for item in stored]


def _disk_ref(inspection: TargetInspection) -> DiskRef:
    return disk_ref_of(inspection.identity)


def _image_step(
    request: SequenceRequest,
    inspection: TargetInspection,
    sanitized: SanitizeOutcome,
    outcome: SequenceOutcome,
    forward: Callable[[ProgressEvent], None],
    cancel: threading.Event,
) -> None:
    assert request.image is not None
    zeros: dict[str, str] = {}
    if sanitized.wipe is not None:
        try:
            ident = inspection.identity
            zeros[request.target] = zero_basis(sanitized.wipe, ident.size_bytes, ident.serial)
        except StationError:
            zeros = {}  # the deploy then writes the zero blocks too
    deploy = DeployRequest(
        [request.target],
        request.image,
        profile_dir=request.image_dir,
        asset_tag=request.asset_tag,
        zero_verified=zeros,
        operator=request.operator,
        journal=request.journal,
        runner=request.runner,
        inspect=request.inspect,
        acpi_tables=None if request.dock else ACPI_TABLES,
        stick=request.stick,
    )
    try:
        reports = run_deploy(deploy, on_event=forward, cancel=cancel)
    except StationError as exc:
        outcome.deployed = False
        outcome.reasons.append(_error(exc))
        return
    outcome.deployed = all(r.outcome == "deployed" for r in reports)
    if all(r.outcome == "cancelled" for r in reports):
        return  # stopped, not failed: the caller says so
    if not outcome.deployed:
        outcome.reasons.append(
            _text("L'image n'a pas pu être déployée.", "The image could not be deployed.")
        )
        # The deploy's own reasons (English notes of the imaging layer) say why.
        outcome.reasons.extend(note_or_technical(why) for r in reports for why in r.reasons)
