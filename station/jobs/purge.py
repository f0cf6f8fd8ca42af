"""Run a firmware purge plan and prove it: watermarks, drive status, sampled read-back.

`purged` only when the drive's command really completed AND its status, every watermark
and the read-back agree (docs/sanitization.md). An erase the drive aborted (QEMU's AHCI aborts
SECURITY ERASE while hdparm exits 0) is reported as not done, and the profile's overwrite
Clear runs instead when the profile says so and the caller gave it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from station.devices import ata, mmc, nvme
from station.devices.blockio import BlockTarget
from station.devices.firmware_erase import Polling
from station.devices.runner import CommandEvidence, Runner
from station.devices.safety import TargetInspection, inspect_target
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.drive_capabilities import (
    AtaCapabilities,
    EmmcCapabilities,
    HpaState,
    NvmeCapabilities,
)
from station.domain.purge_plan import FROZEN, PlanStep, PurgePlan, StepKind, Technique
from station.domain.results import Result
from station.domain.text import LocalizedText
from station.domain.watermarks import WatermarkCheck
from station.errors import CommandError, TargetRefused, UsageError
from station.jobs.purge_checks import ReadBackSummary, check_watermarks, plant_watermarks, read_back

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int | None], None]  # (phase, percent or None)


@dataclass
class PurgeContext:
    """What run_purge needs from the outside world; tests replace the parts they must."""

    runner: Runner
    inspect: Callable[[str], TargetInspection] = inspect_target
    open_target: Callable[[str, bool], BlockTarget] = lambda path, write: BlockTarget.open(
        path, write=write
    )
    # Asks the operator to suspend/resume or replug a frozen drive; True when done.
    unfreeze: Callable[[], bool] | None = None
    # The profile's overwrite Clear (the lead's run_wipe), run when the purge is not done.
    clear: Callable[[], Result] | None = None
    sleep: Callable[[float], None] = time.sleep
    poll_s: float = 10.0
    password: str = ata.TEMPORARY_PASSWORD


@dataclass
class PurgeReport:
    path: str
    plan: PurgePlan
    result: Result
    purged: bool
    firmware_done: bool = False
    firmware_detail: str = "not run"
    reason: LocalizedText | None = None
    watermarks: WatermarkCheck | None = None
    read_back: ReadBackSummary | None = None
    seed_hex: str = ""
    password_used: str | None = None
    fallback_result: Result | None = None
    warnings: list[str] = field(default_factory=list)
    evidence: list[CommandEvidence] = field(default_factory=list)

    def to_record(self) -> dict[str, object]:
        return {
            "path": self.path,
            "result": self.result.value,
            "purged": self.purged,
            "method": "purge" if self.purged else self.plan.method,
            "technique": self.plan.technique.value,
            "label": self.plan.label.model_dump(),
            "firmware_done": self.firmware_done,
            "firmware_detail": self.firmware_detail,
            "reason": self.reason.model_dump() if self.reason else None,
            "watermarks": self.watermarks.model_dump() if self.watermarks else None,
            "read_back": self.read_back.__dict__ if self.read_back else None,
            "seed": self.seed_hex,
            "password_used": self.password_used,
            "fallback_result": self.fallback_result.value if self.fallback_result else None,
            "warnings": self.warnings,
            "commands": [e.to_record() for e in self.evidence],
        }


@dataclass
class FirmwareFacts:
    """What plan_for needs about a disk, read from the drive, with the evidence."""

    capabilities: AtaCapabilities | NvmeCapabilities | EmmcCapabilities | None
    hpa: HpaState | None
    sanitize_in_progress: bool
    evidence: list[CommandEvidence]
    # DCO's "Real max sectors"; above hpa.native_sectors means a DCO hides capacity that
    # Station does not remove (--dco-restore is not offered): record it as not covered.
    dco_real_max: int | None = None


def gather_firmware_facts(identity: DiskIdentity, runner: Runner) -> FirmwareFacts:
    """hdparm -I / -N for ATA, nvme id-ctrl for NVMe; nothing for other buses (their plan
    is a Clear whatever the drive could say). Tool failures become "no capabilities"."""
    evidence: list[CommandEvidence] = []
    try:
        if identity.bus is Bus.ATA:
            caps, ident = ata.read_identify(identity.path, runner)
            hpa, hpa_ev = ata.read_hpa(identity.path, runner)
            busy, status = ata.sanitize_in_progress(identity.path, runner)
            evidence += [ident, hpa_ev, status]
            dco = None
            if caps.dco_feature:
                dco, dco_ev = ata.read_dco_real_max(identity.path, runner)
                evidence.append(dco_ev)
            return FirmwareFacts(caps, hpa, busy, evidence, dco)
        if identity.media_kind is MediaKind.EMMC:
            ecaps, extcsd = mmc.read_capabilities(identity.path, runner)
            evidence.append(extcsd)
            return FirmwareFacts(ecaps, None, False, evidence)
        if identity.bus is Bus.NVME:
            ncaps, ident = nvme.read_capabilities(identity.path, runner)
            busy, log = nvme.sanitize_in_progress(identity.path, runner)
            evidence += [ident, log]
            return FirmwareFacts(ncaps, None, busy, evidence)
    except (CommandError, ValueError):
        # A missing tool, an unanswered IDENTIFY, or output Station cannot read (a
        # JSONDecodeError is a ValueError): no Purge, the plan says why, Clear follows.
        pass
    return FirmwareFacts(None, None, False, evidence)


def run_purge(
    path: str,
    plan: PurgePlan,
    context: PurgeContext,
    *,
    seed: bytes | None = None,
    watermark_subsections: int = 1000,
    on_progress: ProgressCallback | None = None,
) -> PurgeReport:
    """Run a Purge plan on `path` (already chosen by plan_for). Never raises for a purge
    the drive did not do: the report says so; refusals raise TargetRefused."""
    if plan.method != "purge":
        raise UsageError("this plan is a Clear: run the overwrite wipe (station.jobs.wipe)")
    inspection = context.inspect(path)
    if not inspection.eligibility.eligible:
        raise TargetRefused(
            path,
            inspection.eligibility.reason_texts("en"),
            inspection.eligibility.reason_texts("fr"),
        )
    seed = seed if seed is not None else os.urandom(16)
    report = PurgeReport(
        path=path, plan=plan, result=Result.FAILED, purged=False, seed_hex=seed.hex()
    )
    notify = on_progress or (lambda phase, percent: None)
    positions: list[int] = []
    block = 0
    for step in plan.steps:
        if step.kind is StepKind.RESTORE_NATIVE_MAX:
            _restore_native_max(path, step, context, report)
        elif step.kind is StepKind.UNFREEZE:
            if not _unfrozen(path, context, report):
                report.reason = FROZEN
                return _fall_back(report, context, "drive still frozen")
        elif step.kind is StepKind.PLANT_WATERMARKS:
            notify("watermark", None)
            with context.open_target(path, True) as target:
                positions, block = plant_watermarks(target, seed, watermark_subsections)
        elif step.kind is StepKind.CHECK_WATERMARKS:
            with context.open_target(path, False) as target:
                report.watermarks = check_watermarks(target, seed, positions, block)
        elif step.kind is StepKind.READ_BACK:
            notify("verify", None)
            with context.open_target(path, False) as target:
                report.read_back = read_back(
                    target, seed, accept_noise=plan.technique is Technique.CRYPTO_ERASE
                )
        else:
            # Said before the command goes out: from here the drive finishes on its own.
            notify("purge", 0)
            _run_firmware(path, step, context, report, notify)
            log.info(
                "%s: firmware step %s done=%s (%s)",
                path,
                step.kind,
                report.firmware_done,
                report.firmware_detail,
            )
            if report.firmware_done:
                notify("purge", 100)
            if not report.firmware_done:
                # Nothing more to check: the drive said it did not do it.
                return _fall_back(report, context, report.firmware_detail)
    return _conclude(report, context)


def _conclude(report: PurgeReport, context: PurgeContext) -> PurgeReport:
    marks, back = report.watermarks, report.read_back
    if marks is None or not marks.all_changed:
        unchanged = len(marks.unchanged_offsets) if marks else "?"
        return _fall_back(
            report, context, f"the drive reported success but {unchanged} watermarks are unchanged"
        )
    if back is None or not back.ok:
        return _fall_back(report, context, "read-back found data that is not erased")
    report.purged = True
    report.result = Result.CLEARED_WITH_WARNINGS if report.warnings else Result.PURGED
    return report


def _fall_back(report: PurgeReport, context: PurgeContext, why: str) -> PurgeReport:
    log.info("purge not done: %s", why)
    report.purged = False
    report.firmware_detail = why if not report.firmware_done else report.firmware_detail
    report.warnings.append(f"purge not done: {why}")
    if report.reason is None:
        report.reason = LocalizedText(
            fr=f"purge non effectuée : {why}", en=f"purge not done: {why}"
        )
    if report.plan.fallback == "clear" and context.clear is not None:
        report.fallback_result = context.clear()
        report.result = report.fallback_result
    else:
        report.result = Result.FAILED
    return report


def _restore_native_max(
    path: str, step: PlanStep, context: PurgeContext, report: PurgeReport
) -> None:
    native = int(step.action or 0)
    report.evidence.append(ata.restore_native_max(path, native, context.runner))
    hpa, evidence = ata.read_hpa(path, context.runner)
    report.evidence.append(evidence)
    if hpa is None or hpa.hpa_enabled:
        report.warnings.append("the Host Protected Area could not be removed")


def _unfrozen(path: str, context: PurgeContext, report: PurgeReport) -> bool:
    caps, evidence = ata.read_identify(path, context.runner)
    report.evidence.append(evidence)
    if caps.security is not None and not caps.security.frozen:
        return True
    if context.unfreeze is None or not context.unfreeze():
        return False
    caps, evidence = ata.read_identify(path, context.runner)  # re-read after the remedy
    report.evidence.append(evidence)
    return caps.security is not None and not caps.security.frozen


def _run_firmware(
    path: str, step: PlanStep, context: PurgeContext, report: PurgeReport, notify: ProgressCallback
) -> None:
    runner, action = context.runner, step.action or ""

    def progress(percent: int | None) -> None:
        notify("purge", percent)

    polling = Polling(on_progress=progress, interval_s=context.poll_s, sleep=context.sleep)

    if step.kind is StepKind.ATA_SECURITY_ERASE:
        erase = ata.security_erase(
            path,
            runner,
            password=context.password,
            prefer_enhanced=action == "enhanced",
            polling=polling,
        )
        report.password_used = erase.password
        done, detail, evidence = erase.done, erase.detail, erase.evidence
        if not erase.security_disabled_afterwards:
            report.warnings.append(f"ATA security still enabled: password is {erase.password!r}")
    elif step.kind is StepKind.ATA_SANITIZE:
        outcome = ata.sanitize(path, runner, action, polling)
        done, detail, evidence = outcome.done, outcome.detail, outcome.evidence
    elif step.kind is StepKind.EMMC_SANITIZE:
        result = mmc.erase_and_sanitize(path, runner)
        done, detail, evidence = result.done, result.detail, result.evidence
    elif step.kind is StepKind.NVME_SANITIZE:
        result = nvme.sanitize(path, runner, action, polling)
        done, detail, evidence = result.done, result.detail, result.evidence
    else:
        caps, identify = nvme.read_capabilities(path, runner)
        result = nvme.format_nvm(path, runner, int(action.removeprefix("ses=")), caps)
        done, detail, evidence = result.done, result.detail, [identify, *result.evidence]
    report.firmware_done, report.firmware_detail = done, detail
    report.evidence.extend(evidence)
