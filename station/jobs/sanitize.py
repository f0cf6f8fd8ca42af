"""Sanitize one disk the way its profile and the drive allow: firmware Purge where the
drive can (profile method "purge"), else the overwrite Clear, with the reason recorded.

This is what `station wipe` and the bench run. Clear profiles go straight to run_wipe;
purge profiles read the drive's capabilities, plan (station.domain.purge_plan), run the
purge with its proofs (station.jobs.purge), and fall back to the profile's passes when
the purge is impossible or not done. Every step lands in the journal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from station.devices import ata
from station.devices.runner import CommandEvidence, Runner
from station.devices.safety import TargetInspection
from station.domain.clock import utc_now
from station.domain.disk import Bus, DiskIdentity
from station.domain.notes import note_or_technical
from station.domain.profiles import PurgeSpec
from station.domain.progress import Phase, ProgressEvent, ProgressSink
from station.domain.purge_plan import NO_SANITIZE, PurgePlan, plan_for
from station.domain.record import (
    DiskRef,
    PurgeCommand,
    StepBody,
    Verification,
    disk_ref_of,
)
from station.domain.results import Result
from station.domain.sampling import EXTENT_PERCENT, SUBSECTIONS
from station.domain.text import LocalizedText
from station.domain.watermarks import DEFAULT_SUBSECTIONS
from station.domain.wipe_report import WipeReport
from station.errors import TargetRefused
from station.jobs.ata_security import IDENTIFY_UNREADABLE, SecurityCheck, ensure_security_disabled
from station.jobs.hidden_areas import HiddenAreas, uncover_hidden_areas
from station.jobs.purge import PurgeContext, PurgeReport, gather_firmware_facts, run_purge
from station.jobs.wipe import WipeRequest, ensure_eligible, run_wipe
from station.jobs.wipe_records import disk_seen_body, records_for

log = logging.getLogger(__name__)

# What the operator chose for a drive the BIOS froze (docs/sanitization.md, pitfall 1).
UnfreezeChoice = Literal["suspend", "replugged", "skip"]


def unfreeze_action(
    ask: Callable[[], UnfreezeChoice], runner: Runner, evidence: list[CommandEvidence]
) -> Callable[[], bool]:
    """The purge job's `unfreeze`: ask the operator, then suspend the bench for 5 s
    (`rtcwake -m mem -s 5`) or trust that the drive was replugged. True when something
    was done; the purge job then reads IDENTIFY again to see if the drive thawed."""

    def unfreeze() -> bool:
        choice = ask()
        if choice == "suspend":
            done = ata.unfreeze_by_suspend(runner)
            evidence.append(done)
            return done.ok
        return choice == "replugged"

    return unfreeze


@dataclass
class SanitizeOutcome:
    result: Result
    plan: PurgePlan | None = None  # None for a Clear profile
    purge: PurgeReport | None = None  # when a firmware purge was attempted
    wipe: WipeReport | None = None  # when overwrite passes ran (Clear, or the fallback)
    record_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    hidden: HiddenAreas | None = None  # HPA / DCO found (and the HPA removed) before
    security: SecurityCheck | None = None  # ATA password checked after the erase
    # Set when the disk is erased but must not go to anyone (a password Station could
    # not remove): the bench sets it aside with this reason.
    not_reusable: LocalizedText | None = None

    def notes(self) -> list[LocalizedText]:
        """`reasons` in both languages for the screen and the command line: the plan's
        own label for "purged: ...", the password's own reason, the rest by
        domain.notes (unknown ones as written, for the technical notes)."""
        said: list[LocalizedText] = []
        why = self.plan.reason if self.plan is not None else None
        for reason in self.reasons:
            if why is not None and reason == f"Purge not possible: {why.en}; Clear instead":
                said.append(
                    LocalizedText(
                        fr=f"Purge impossible : {why.fr} ; réécriture (Clear) à la place.",
                        en=reason,
                    )
                )
            elif self.plan is not None and reason == f"purged: {self.plan.label.en}":
                label = self.plan.label
                said.append(
                    LocalizedText(
                        fr=f"Purgé par le disque lui-même : {label.fr}.",
                        en=f"Purged by the drive: {label.en}.",
                    )
                )
            elif self.not_reusable is not None and reason == self.not_reusable.en:
                said.append(self.not_reusable)
            else:
                said.append(note_or_technical(reason))
        return said


def run_sanitize(
    request: WipeRequest,
    runner: Runner,
    *,
    on_event: ProgressSink | None = None,
    cancel: threading.Event | None = None,
    ask_unfreeze: Callable[[], UnfreezeChoice] | None = None,
) -> SanitizeOutcome:
    """Hidden areas first (HPA removed, DCO said, recorded), then the erase as the
    profile asks: a Clear profile runs `run_wipe`; a Purge profile plans
    the drive's own command (sanitize, crypto erase, format, security erase) from its
    capabilities, runs it with the checks of docs/sanitization.md, and falls back to a
    Clear (when the profile allows) with the reason in `reasons`.

    Promises: `purged` only when the drive's command completed and the watermarks and
    read-back proved it; records in the journal in the order things happened (DiskSeen,
    the purge attempt, then any Clear). Raises TargetRefused (safety checks, or a sanitize
    already running on the drive) and CommandError when a tool is missing. Every erase
    of an ATA drive ends with its password checked off on IDENTIFY (`not_reusable` when
    it stays).
    """
    inspection = ensure_eligible(request.target, request.inspect)
    identity = inspection.identity
    seen_ids: list[str] = []
    if request.journal is not None and request.record_disk_seen:
        # The disk is seen before anything is done to it (hidden areas included): its
        # DiskSeen leads the records; the steps below do not record another.
        disk = disk_ref_of(identity, request.target)
        operator, name = request.operator or "bench", request.profile.name
        body = disk_seen_body(identity, disk, operator, name, utc_now(), request.provenance)
        seen_ids = [s.record_id for s in request.journal.append_many([body])]
        request = replace(request, record_disk_seen=False)
    spec = request.profile.purge or PurgeSpec()
    hidden = uncover_hidden_areas(identity, runner, remove_hpa=spec.restore_native_max)
    hidden_ids = _record_hidden(request, identity, hidden)
    if any(f.action == "removed" for f in hidden.findings):
        # The disk grew by its former HPA: what the erase covers comes from a new look.
        inspection = ensure_eligible(request.target, request.inspect)
    outcome = _erase(request, runner, inspection, on_event, cancel, ask_unfreeze)
    outcome.hidden = hidden
    outcome.record_ids = seen_ids + hidden_ids + outcome.record_ids
    outcome.reasons = [*hidden.warnings, *outcome.reasons]
    if outcome.wipe is None or outcome.wipe.stopped != "cancelled":
        _check_security(identity, runner, outcome)
    return outcome


def _record_hidden(request: WipeRequest, identity: DiskIdentity, hidden: HiddenAreas) -> list[str]:
    if request.journal is None or not hidden.findings:
        return []
    disk = disk_ref_of(identity, request.target)
    bodies = hidden.records(disk, request.operator or "bench")
    return [s.record_id for s in request.journal.append_many(list(bodies))]


PURGE_NOT_POSSIBLE = "not_possible"


def _record_purge_not_possible(
    request: WipeRequest, identity: DiskIdentity, plan: PurgePlan, facts: list[CommandEvidence]
) -> list[str]:
    if request.journal is None:
        return []
    reason = plan.reason or NO_SANITIZE
    body = PurgeCommand(
        created_at=utc_now(),
        operator=request.operator or "bench",
        profile=request.profile.name,
        disk=disk_ref_of(identity, request.target),
        technique=PURGE_NOT_POSSIBLE,
        method="purge",
        supported=False,
        accepted=False,
        completed=False,
        result=Result.FAILED,
        commands=[e.to_command_record() for e in facts],
        notes=[reason.fr, reason.en],
    )
    return [s.record_id for s in request.journal.append_many([body])]


def purge_progress(
    on_event: ProgressSink | None, target: str, clock: Callable[[], float] = time.monotonic
) -> Callable[[str, int | None], None]:
    """run_purge's (phase, percent) as ProgressEvents: the bench bar moves during a
    firmware purge (NVMe SPROG, ATA sanitize status, ATA estimated time), and the
    firmware phase is marked unstoppable."""
    started = clock()
    phases: dict[str, Phase] = {"purge": "purge", "watermark": "watermark", "verify": "verify"}

    def progress(phase: str, percent: int | None) -> None:
        if on_event is None:
            return
        on_event(
            ProgressEvent(
                phase=phases.get(phase, "purge"),
                bytes_done=max(0, min(100, percent or 0)),
                bytes_total=100,
                rate_bps=0.0,
                eta_s=None,
                elapsed_s=clock() - started,
                target=target,
                unstoppable=phase == "purge",
            )
        )

    return progress


def _check_security(identity: DiskIdentity, runner: Runner, outcome: SanitizeOutcome) -> None:
    """Every erase of an ATA drive ends with its password disabled, read on IDENTIFY."""
    if identity.bus not in (Bus.ATA, Bus.USB):
        return
    check = ensure_security_disabled(identity.path, runner)
    if identity.bus is Bus.USB and check.reason is IDENTIFY_UNREADABLE:
        # Many USB bridges pass no ATA command at all: nothing could be seen, nothing set.
        outcome.reasons.append("ATA password not checked: the USB bridge passes no IDENTIFY")
        return
    outcome.security = check
    if check.removed:
        outcome.reasons.append("ATA password left on the drive removed (checked on IDENTIFY)")
    if not check.reusable:
        outcome.not_reusable = check.reason
        outcome.reasons.append(check.reason.en if check.reason else "ATA password still set")


def _erase(
    request: WipeRequest,
    runner: Runner,
    inspection: TargetInspection,
    on_event: ProgressSink | None,
    cancel: threading.Event | None,
    ask_unfreeze: Callable[[], UnfreezeChoice] | None,
) -> SanitizeOutcome:
    profile = request.profile
    if profile.method == "clear":
        wipe = run_wipe(request, on_event=on_event, cancel=cancel)
        return SanitizeOutcome(
            wipe.result, wipe=wipe, record_ids=wipe.record_ids, reasons=list(wipe.reasons)
        )
    identity = inspection.identity
    seen_at = utc_now()
    facts = gather_firmware_facts(identity, runner)
    if facts.sanitize_in_progress:
        raise TargetRefused(
            request.target,
            ["a sanitize is already in progress on this drive"],
            ["le disque est déjà en train de s'effacer lui-même"],
        )
    plan = plan_for(identity, facts.capabilities, profile, hpa=facts.hpa)
    if plan.method == "clear":
        # Said before the Clear, recorded so the certificate prints why (not a failure:
        # nothing was sent to the drive).
        ids = _record_purge_not_possible(request, identity, plan, facts.evidence)
        # Same stage, seconds later: the wipe takes this inspection instead of a second
        # one (it still opens the disk O_EXCL before writing).
        same_stage = replace(request, inspect=lambda _path: inspection)
        wipe = run_wipe(same_stage, on_event=on_event, cancel=cancel)
        why = plan.reason.en if plan.reason else "the drive offers no purge"
        log.info("%s: purge not possible (%s); Clear instead", request.target, why)
        return SanitizeOutcome(
            wipe.result,
            plan=plan,
            wipe=wipe,
            record_ids=[*ids, *wipe.record_ids],
            reasons=[f"Purge not possible: {why}; Clear instead", *wipe.reasons],
        )
    wipes: list[WipeReport] = []

    def clear() -> Result:
        # Recorded after the purge attempt that preceded it, so the journal follows time.
        log.info("%s: purge did not complete; falling back to Clear", request.target)
        wipe = run_wipe(replace(request, journal=None), on_event=on_event, cancel=cancel)
        wipes.append(wipe)
        return wipe.result

    log.info("%s: purge plan %s (%s)", request.target, plan.technique, plan.label.en)

    fallback = profile.purge is None or profile.purge.fallback == "clear"
    thaw: list[CommandEvidence] = []
    unfreeze = unfreeze_action(ask_unfreeze, runner, thaw) if ask_unfreeze else None
    purge = run_purge(
        request.target,
        plan,
        PurgeContext(
            runner=runner,
            inspect=request.inspect,
            unfreeze=unfreeze,
            clear=clear if fallback else None,
        ),
        watermark_subsections=profile.purge.watermark_subsections
        if profile.purge
        else DEFAULT_SUBSECTIONS,
        on_progress=purge_progress(on_event, request.target),
    )
    # In the order the commands ran: capabilities, then the purge's, with any suspend.
    purge.evidence = sorted([*facts.evidence, *thaw, *purge.evidence], key=lambda e: e.started_at)
    outcome = SanitizeOutcome(
        purge.result, plan=plan, purge=purge, wipe=wipes[-1] if wipes else None
    )
    outcome.reasons = [*purge.warnings]
    if purge.purged:
        outcome.reasons.append(f"purged: {plan.label.en}")
    if request.journal is not None:
        _record_purge(request, identity, seen_at, purge, outcome)
    if outcome.wipe is not None:
        outcome.record_ids += outcome.wipe.record_ids
        outcome.reasons += outcome.wipe.reasons
    return outcome


# argv words of the commands that ask a drive to erase itself (hdparm, nvme-cli).
FIRMWARE_WORDS = frozenset(
    {
        "--security-erase",
        "--security-erase-enhanced",
        "--sanitize-block-erase",
        "--sanitize-crypto-scramble",
        "--sanitize-overwrite",
        "sanitize",
        "format",
    }
)


def _record_purge(
    request: WipeRequest,
    identity: DiskIdentity,
    seen_at: datetime,
    purge: PurgeReport,
    outcome: SanitizeOutcome,
) -> None:
    """DiskSeen (unless the caller recorded it), the purge attempt, then the Clear that
    followed it if any: in the order they happened, in one transaction."""
    assert request.journal is not None
    operator, profile = request.operator or "bench", request.profile
    disk = disk_ref_of(identity, request.target)
    bodies: list[StepBody] = []
    if request.record_disk_seen:
        bodies.append(disk_seen_body(identity, disk, operator, profile.name, seen_at))
    bodies += purge_records(purge, disk, operator, profile.name, identity.logical_block_size)
    own = len(bodies)
    if outcome.wipe is not None:
        bodies += records_for(
            outcome.wipe, identity, operator, len(profile.passes), with_disk_seen=False
        )
    ids = [s.record_id for s in request.journal.append_many(bodies)]
    outcome.record_ids = ids[:own]
    if outcome.wipe is not None:
        outcome.wipe.record_ids = ids[own:]


def purge_records(
    purge: PurgeReport, disk: DiskRef, operator: str, profile: str, block_size: int
) -> list[PurgeCommand | Verification]:
    """The purge step as the drive really did it; a purge not done is recorded `failed`
    (the Clear that followed has its own records). `accepted` means the erase command
    exited 0, which is no proof: `completed` is what the drive's status and the data say."""
    firmware = purge.plan.firmware_step
    accepted = any(e.ok for e in purge.evidence if FIRMWARE_WORDS & set(e.argv))
    notes = [*purge.warnings, purge.firmware_detail]
    if purge.password_used:
        notes.append(f"ATA password used: {purge.password_used}")
    bodies: list[PurgeCommand | Verification] = [
        PurgeCommand(
            created_at=utc_now(),
            operator=operator,
            profile=profile,
            disk=disk,
            technique=purge.plan.technique.value,
            method="purge",
            supported=firmware is not None,
            accepted=accepted or purge.firmware_done,
            completed=purge.firmware_done,
            result=purge.result if purge.purged else Result.FAILED,
            commands=[e.to_command_record() for e in purge.evidence],
            notes=[n for n in notes if n],
        )
    ]
    back = purge.read_back
    if purge.purged and back is not None:
        bodies.append(
            Verification(
                created_at=utc_now(),
                operator=operator,
                profile=profile,
                disk=disk,
                mode="full" if back.mode == "full" else "sampled",
                seed_hex=back.seed_hex or None,
                subsections=SUBSECTIONS if back.mode == "sampled" else None,
                extent_percent=EXTENT_PERCENT if back.mode == "sampled" else None,
                expected="erased: uniform blocks"
                + (" or noise (crypto erase)" if back.accept_noise else ""),
                coverage_percent=min(100.0, back.coverage_percent),
                bytes_checked=back.blocks_read * block_size,
                result=purge.result,
            )
        )
    return bodies


def outcome_json(outcome: SanitizeOutcome, profile: str) -> dict[str, object]:
    """`station wipe --json` for a purge profile (a Clear profile writes its WipeReport)."""
    plan = outcome.plan
    return {
        "schema_id": "station.sanitize-report/1",
        "profile": profile,
        "result": outcome.result.value,
        "reasons": outcome.reasons,
        "plan": None
        if plan is None
        else {
            "method": plan.method,
            "technique": plan.technique.value,
            "label": plan.label.model_dump(),
            "reason": plan.reason.model_dump() if plan.reason else None,
        },
        "purge": outcome.purge.to_record() if outcome.purge else None,
        "wipe": outcome.wipe.model_dump(mode="json") if outcome.wipe else None,
        "record_ids": outcome.record_ids,
        "hidden_areas": None
        if outcome.hidden is None
        else [
            {"feature": f.feature, "action": f.action, "before": f.before, "after": f.after}
            for f in outcome.hidden.findings
        ],
        "ata_security": None
        if outcome.security is None
        else {
            "enabled_before": outcome.security.enabled_before,
            "disabled_afterwards": outcome.security.disabled_afterwards,
        },
        "not_reusable": outcome.not_reusable.model_dump() if outcome.not_reusable else None,
    }
