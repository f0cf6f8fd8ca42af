"""The "Pourquoi ?" text: the state of one disk explained in plain words."""

from __future__ import annotations

from station.domain.results import Result
from station.jobs.bench_sequence import Stage
from station.tui.i18n import _, language
from station.tui.notes import translated
from station.tui.slots import DiskRow, smart_word, stage_word

RESULT_MEANING = {
    Result.PURGED: lambda: _(
        "Purged: the drive erased itself with its own firmware command, and a read-back "
        "confirmed it. This is the strongest erasure the drive offers."
    ),
    Result.CLEARED: lambda: _(
        "Cleared: every block the computer can reach was overwritten. The disk can be reused."
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


def check_line(row: DiskRow) -> str | None:
    """What the read-back after the erase really covered."""
    outcome = row.outcome
    wipe = outcome.sanitize.wipe if outcome and outcome.sanitize else None
    check = wipe.verification if wipe else None
    if check is None:
        return None
    pct = f"{check.coverage_percent:.1f}".replace(".", "," if language() == "fr" else ".")
    if not check.completed:
        return _("Check: not finished ({pct}% of the disk read back).").format(pct=pct)
    if check.mode == "sampled":
        return _(
            "Check: {pct}% of the disk was read back, at random places (a sampled check)."
        ).format(pct=pct)
    return _("Check: the whole disk was read back.")


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
        # A stopped disk is not a failed one: its meaning (restart it) is said above,
        # never "set it aside for destruction".
        if outcome.result is not None and row.stage is not Stage.CANCELLED:
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
        check = check_line(row)
        if check:
            lines.append(check)
        # Reasons from the drive and the safety checks exist in both languages; the
        # erase job's own notes are English sentences: known ones are translated, the
        # rest are shown as technical notes.
        worded = [r.get(lang) for r in outcome.reasons if r.fr != r.en]
        english = [r.en for r in outcome.reasons if r.fr == r.en]
        worded += [t for t in (translated(n) for n in english) if t]
        technical = [n for n in english if translated(n) is None]
        if worded:
            lines.append(_("Details:"))
            lines += [f"- {d}" for d in worded]
        if technical:
            lines.append(_("Technical notes:"))
            lines += [f"- {d}" for d in technical]
    if row.removed:
        lines.append(_("The disk was unplugged while Station was working on it."))
    return lines
