"""The "Pourquoi ?" text: the state of one disk explained in plain words."""

from __future__ import annotations

from collections.abc import Callable

from station.domain.results import Result
from station.jobs.bench_sequence import STOPPED_WORDS, Stage
from station.tui.i18n import _, language
from station.tui.notes import translated
from station.tui.slots import DiskRow, smart_word, stage_word

# Easy-to-read wording (the French "FALC" rules): one idea per line, the action first,
# short everyday words.
RESULT_MEANING: dict[Result, Callable[[], list[str]]] = {
    Result.PURGED: lambda: [
        _("Purged: the drive erased itself."),
        _("A read-back checked it."),
        _("This is the strongest erasure."),
    ],
    Result.CLEARED: lambda: [
        _("Cleared: the whole disk was overwritten."),
        _("The disk can be used again."),
    ],
    Result.CLEARED_WITH_WARNINGS: lambda: [
        _("Show this disk to the supervisor before using it again."),
        _("It was overwritten, but one point needs a look."),
        _("The details are below."),
    ],
    Result.FAILED: lambda: [
        _("Set this disk aside for physical destruction."),
        _("Do not use it again."),
        _("The erasure could not be proved: data may still be there."),
    ],
}

STAGE_MEANING: dict[Stage, Callable[[], list[str]]] = {
    Stage.WAITING: lambda: [
        _("Press R to recondition it."),
        _("You will type the last 4 characters of its serial number."),
    ],
    Stage.SMART: lambda: [_("The disk's health (SMART) is being read.")],
    Stage.ERASING: lambda: [_("The disk is being erased."), _("Press A to stop.")],
    Stage.VERIFYING: lambda: [_("The erasure is being checked: the disk is read back.")],
    Stage.DEPLOYING: lambda: [_("The master image is being written to the disk.")],
    Stage.CANCELLED: lambda: [_("Start it again to finish: press R.")],
    Stage.REFUSED: lambda: [_("Station refuses to touch this disk, for this reason:")],
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
        lines += meaning()
    stopped = STOPPED_WORDS[row.stopped_at] if row.stage is Stage.CANCELLED else None
    if stopped is not None:
        lines.append(stopped.get(lang))  # what the stop left on the disk, by stage
    lines += [f"- {reason.message.get(lang)}" for reason in row.inspection.eligibility.reasons]
    outcome = row.outcome
    if outcome is not None:
        # A stopped disk is not a failed one: its meaning (restart it) is said above,
        # never "set it aside for destruction".
        if outcome.result is not None and row.stage is not Stage.CANCELLED:
            lines += RESULT_MEANING[outcome.result]()
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
        worded = [r.get(lang) for r in outcome.reasons if r.fr != r.en and r != stopped]
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
