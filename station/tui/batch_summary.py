"""The words at the end of a batch: each slot's result, asset tag, image, whether its
certificate is ready, and what to do next (one idea per line, the action first)."""

from __future__ import annotations

from station.jobs.bench_sequence import Stage
from station.tui.i18n import _, plural
from station.tui.slots import DiskRow, stage_word


def next_step(row: DiskRow) -> str:
    if row.stage is Stage.DONE:
        return _("Put the disk back in its computer. C: print its certificate.")
    if row.erased_when_stopped:
        return _("Start it again (R): it is erased, but has no image yet.")
    if row.stage is Stage.CANCELLED:
        return _("Start it again (R): it is not erased.")
    return _("Show it to the supervisor. P explains.")


def batch_lines(rows: list[DiskRow], image: str | None) -> list[str]:
    done = sum(r.stage is Stage.DONE for r in rows)
    lines = [
        plural(done, _("{n} disk of the batch done"), _("{n} disks of the batch done")),
    ]
    for row in sorted(rows, key=lambda r: (r.inspection.identity.slot or 10**6, r.path)):
        ident = row.inspection.identity
        tag = row.asset_tag or _("no asset tag")
        lines.append(
            _("Slot {slot} · {tag} · {state}").format(
                slot=ident.slot or "-", tag=tag, state=stage_word(row)
            )
        )
        if image and row.stage is Stage.DONE and row.outcome and row.outcome.deployed:
            lines.append("  " + _("Installed: {image}").format(image=image))
        if row.stage is Stage.DONE:
            lines.append("  " + _("Certificate ready."))
        lines.append("  " + next_step(row))
    return lines
