"""The daily log as text (terminal), CSV (LibreOffice/Excel with French settings: UTF-8
with BOM, ';', dd/mm/yyyy, decimal comma) and PDF (A4 landscape)."""

from __future__ import annotations

from station.reports.daily_log import DailyLog, LogLine
from station.reports.pdf_kit import GREY, RESULT_COLOURS, Document
from station.reports.spreadsheet import french_csv
from station.reports.wording import Lang, day_text, decimal, local_time

STEPS = {
    "disk_seen": ("détection", "detected"),
    "smart_assessment": ("SMART", "SMART"),
    "self_test": ("autotest", "self-test"),
    "hpa_dco_change": ("HPA/DCO", "HPA/DCO"),
    "purge_command": ("purge", "purge"),
    "overwrite_pass": ("écrasement", "overwrite"),
    "verification": ("vérification", "verification"),
    "image_deploy": ("déploiement", "deploy"),
    "work_cancelled": ("arrêt", "stop"),
    "licence_assignment": ("licence", "licence"),
    "host_inventory": ("inventaire", "inventory"),
    "function_test": ("test de fonctionnement", "function test"),
    "grade": ("note", "grade"),
    "daily_checkpoint": ("point du jour", "checkpoint"),
}
RESULTS = {
    "purged": ("purgé", "purged"),
    "cleared": ("effacé", "cleared"),
    "cleared_with_warnings": ("effacé avec réserves", "cleared with warnings"),
    "failed": ("échec", "failed"),
    "cancelled": ("arrêté", "stopped"),
}
HEADER = {
    "fr": [
        "Date", "Poste", "Début", "Fin", "Durée (min)", "Machine", "Disque", "N° de série",
        "Opérateur", "Étapes", "Résultat", "Échecs et raisons", "Licences (empreinte)",
        "Non synchronisés", "Enregistrements (seq)",
    ],
    "en": [
        "Date", "Bench", "Start", "End", "Duration (min)", "Machine", "Disk", "Serial",
        "Operator", "Steps", "Result", "Failures and reasons", "Licences (digest)",
        "Not synced", "Records (seq)",
    ],
}  # fmt: skip
DECISIONS = {"approved": ("approuvé", "approved"), "rejected": ("refusé", "rejected")}


def _pick(table: dict[str, tuple[str, str]], key: str | None, lang: Lang) -> str:
    if key is None:
        return "—"
    pair = table.get(key)
    return key if pair is None else pair[0 if lang == "fr" else 1]


def _clock(text: str, lang: Lang) -> str:
    return local_time(text, lang).split(" ")[1]


def line_cells(log: DailyLog, line: LogLine, lang: Lang) -> list[str]:
    return [
        day_text(log.day),
        log.bench_id,
        local_time(line.started_at, "fr"),
        local_time(line.ended_at, "fr"),
        decimal(line.duration_s / 60, lang),
        line.machine or "—",
        line.disk or "—",
        line.serial or "—",
        ", ".join(line.operators),
        ", ".join(_pick(STEPS, step, lang) for step in line.steps),
        _pick(RESULTS, "cancelled" if line.stopped else line.result, lang),
        "; ".join(reason.get(lang) for reason in [*line.failures, *line.tests]),
        "; ".join(line.licences),
        "—" if line.unsynced is None else str(line.unsynced),
        f"{line.seqs[0]}-{line.seqs[-1]}" if len(line.seqs) > 1 else str(line.seqs[0]),
    ]


def signoff_lines(log: DailyLog, lang: Lang) -> list[str]:
    fr = lang == "fr"
    found = []
    if log.signoff is None:
        found.append(
            "Visa du superviseur : pas encore visé" if fr else "Supervisor: not signed off"
        )
    else:
        sign = log.signoff
        found.append(
            ("Visa du superviseur : " if fr else "Supervisor sign-off: ")
            + f"{sign.supervisor}, {_pick(DECISIONS, sign.decision, lang)}, "
            + f"{local_time(sign.signed_at, lang)} (seq {sign.first_seq}-{sign.last_seq})"
        )
        if sign.comment:
            found.append(("Commentaire : " if fr else "Comment: ") + sign.comment)
        for old in log.replaced:
            found.append(
                (
                    f"Ce visa remplace le visa de {old.supervisor}"
                    if fr
                    else f"This sign-off replaces the one by {old.supervisor}"
                )
                + f", {_pick(DECISIONS, old.decision, lang)}, {local_time(old.signed_at, lang)}"
            )
    for problem in log.discrepancies:
        found.append(("ÉCART : " if fr else "DISCREPANCY: ") + problem.get(lang))
    return found


def daily_log_text(log: DailyLog, lang: Lang = "fr") -> str:
    fr = lang == "fr"
    title = "Journal du jour" if fr else "Daily log"
    out = [
        f"{title} — {log.bench_id} — {day_text(log.day)}",
        (f"{len(log.lines)} ligne(s), {log.record_count} enregistrement(s), "
         f"{log.failures} échec(s)") if fr else
        (f"{len(log.lines)} line(s), {log.record_count} record(s), {log.failures} failure(s)"),
    ]  # fmt: skip
    if log.unsynced is not None:
        out.append(f"{'Non synchronisés :' if fr else 'Not synced:'} {log.unsynced}")
    out.extend(signoff_lines(log, lang))
    out.append("")
    for line in log.lines:
        cells = line_cells(log, line, lang)
        out.append(
            f"{_clock(line.started_at, lang)}-{_clock(line.ended_at, lang)}  "
            f"{cells[5]} | {cells[6]} {cells[7]} | {cells[8]} | {cells[9]} | {cells[10]}"
        )
        for reason in line.failures:
            out.append(f"    ! {reason.get(lang)}")
        for note in line.tests:
            out.append(f"    - {note.get(lang)}")
        for licence in line.licences:
            out.append(f"    licence {licence}")
    return "\n".join(out) + "\n"


def daily_log_csv(log: DailyLog, lang: Lang = "fr") -> bytes:
    """UTF-8 with BOM (Excel needs it to read accents), ';' separated, CRLF."""
    rows: list[list[str]] = [line_cells(log, line, lang) for line in log.lines]
    rows.append([])
    for text in signoff_lines(log, lang):
        label, _, rest = text.partition(" : " if lang == "fr" else ": ")
        rows.append([label, rest])
    return french_csv(HEADER[lang], rows)


def daily_log_pdf(log: DailyLog, lang: Lang = "fr") -> bytes:
    fr = lang == "fr"
    title = f"{'Journal du jour' if fr else 'Daily log'} — {log.bench_id} — {day_text(log.day)}"
    pdf = Document(footer=title, orientation="L")
    pdf.set_title(title)
    pdf.set_lang(lang)
    pdf.add_page()
    pdf.heading(title, size=15)
    summary = daily_log_text(log, lang).splitlines()[1:3]
    pdf.note(" — ".join(s for s in summary if s and not s.startswith("Visa")), size=9)
    pdf.ln(1)
    status = signoff_lines(log, lang)
    if log.discrepancies:
        colour = RESULT_COLOURS["failed"]
    elif log.signoff is not None and log.signoff.decision == "approved":
        colour = RESULT_COLOURS["cleared"]
    else:
        colour = GREY
    pdf.banner(status[0], colour)
    for said in status[1:]:
        # Discrepancies in red; the comment and the replaced sign-offs in black.
        problem = said.startswith(("ÉCART", "DISCREPANCY"))
        pdf.set_text_color(*(RESULT_COLOURS["failed"] if problem else (0, 0, 0)))
        pdf.multi_cell(0, 5, said, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    header = HEADER[lang]
    keep = [2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    widths = (22, 13, 32, 30, 26, 18, 38, 22, 36, 22, 18)
    rows = []
    for line in log.lines:
        cells = line_cells(log, line, lang)
        cells[2] = _clock(line.started_at, lang) + "–" + _clock(line.ended_at, lang)
        rows.append([cells[i] for i in keep])
    heads = [header[i] for i in keep]
    heads[0] = "Heure" if fr else "Time"
    heads[-1] = "Non sync." if fr else "Not synced"
    pdf.set_font(size=7.5)
    pdf.grid(heads, rows, widths)
    return bytes(pdf.output())
