"""The "Pourquoi ?" text: the state of one disk explained in plain words."""

from __future__ import annotations

from station.domain.results import Result
from station.jobs.bench_sequence import Stage
from station.tui.i18n import _, language
from station.tui.slots import DiskRow, smart_word, stage_word

RESULT_MEANING = {
    Result.PURGED: lambda: _(
        "Purged: the drive erased itself with its own firmware command, and a read-back "
        "confirmed it. This is the strongest erasure the drive offers."
    ),
    Result.CLEARED: lambda: _(
        "Cleared: every block the computer can reach was overwritten, then read back to "
        "check. The disk can be reused."
    ),
    Result.CLEARED_WITH_WARNINGS: lambda: _(
        "Cleared with warnings: the disk was overwritten, but something needs a person "
        "to look at it (for example a few sectors could not be written, or the drive's "
        "own erase command could not be used). Show it to the supervisor before reuse."
    ),
    Result.FAILED: lambda: _(
        "Failed: the erasure could not be proved. The data may still be there. Do not "
        "reuse the disk: set it aside for physical destruction."
    ),
}

STAGE_MEANING = {
    Stage.WAITING: lambda: _(
        "Waiting: the disk is ready. Press R to recondition it (you will type the last "
        "four characters of its serial number first)."
    ),
    Stage.SMART: lambda: _("The disk's health (SMART) is being read."),
    Stage.ERASING: lambda: _("The disk is being erased. Press A to stop."),
    Stage.VERIFYING: lambda: _("The erasure is being checked by reading the disk back."),
    Stage.DEPLOYING: lambda: _("The master image is being written to the disk."),
    Stage.CANCELLED: lambda: _(
        "Stopped on request: the disk is NOT fully erased. Start it again to finish."
    ),
    Stage.REFUSED: lambda: _("Station refuses to touch this disk, for this reason:"),
}


def explain(row: DiskRow) -> list[str]:
    """Paragraphs for the panel, in the current language."""
    lang = language()
    ident = row.inspection.identity
    lines = [
        _("Disk {model}, serial {serial}").format(
            model=ident.model or _("unknown model"), serial=ident.serial or _("none")
        ),
        _("State: {state}").format(state=stage_word(row)),
    ]
    meaning = STAGE_MEANING.get(row.stage)
    if meaning is not None:
        lines.append(meaning())
    lines += [f"- {reason.message.get(lang)}" for reason in row.inspection.eligibility.reasons]
    outcome = row.outcome
    if outcome is not None:
        if outcome.result is not None:
            lines.append(RESULT_MEANING[outcome.result]())
        if outcome.smart is not None:
            lines.append(_("Health (SMART): {word}").format(word=smart_word(outcome.smart)))
        plan = outcome.sanitize.plan if outcome.sanitize else None
        if plan is not None and plan.method == "clear" and plan.reason is not None:
            lines.append(
                _("Why Purge was not possible: {reason}").format(reason=plan.reason.get(lang))
            )
        if outcome.deployed is False:
            lines.append(_("The image was not deployed."))
        # Reasons from the drive and the safety checks exist in both languages; the
        # erase job's own notes are technical and in English only: say so.
        worded = [r.get(lang) for r in outcome.reasons if r.fr != r.en]
        technical = [r.en for r in outcome.reasons if r.fr == r.en]
        if worded:
            lines.append(_("Details:"))
            lines += [f"- {d}" for d in worded]
        if technical:
            lines.append(_("Technical notes (in English):"))
            lines += [f"- {d}" for d in technical]
    if row.removed:
        lines.append(_("The disk was unplugged while Station was working on it."))
    return lines
