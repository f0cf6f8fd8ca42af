"""One document for several disks: every disk of one machine (its host inventory lists
them) or every disk judged on one day (a batch). A summary table, then each full
certificate, so a donor or an auditor gets one file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from station.domain.certificate import disk_key
from station.journal.store import Journal, StoredRecord
from station.reports.certificate import (
    Certificate,
    all_records,
    certificate_from,
    disk_sessions,
    worked_sessions,
)
from station.reports.certificate_pdf import render_certificate
from station.reports.certificate_rows import result_text
from station.reports.pdf_kit import Document
from station.reports.wording import PARIS, Lang, local_time, size, text_or_missing, word


def host_certificates(journal: Journal, host_serial: str, url: str | None) -> list[Certificate]:
    """The latest judged session of each disk the machine's latest inventory lists."""
    records = all_records(journal)
    inventories = [
        record
        for record in records
        if record.kind == "host_inventory"
        and (record.body().get("host") or {}).get("serial") == host_serial
    ]
    if not inventories:
        return []
    wanted = [disk_key(disk) for disk in inventories[-1].body().get("disks") or []]
    sessions = disk_sessions(records)
    found = []
    for key in wanted:
        runs = [run for run in sessions.get(key or "", []) if _judged(run)]
        if runs:
            found.append(certificate_from(journal, records, runs[-1], inventory_url=url))
    return found


def window_certificates(journal: Journal, day: date, url: str | None) -> list[Certificate]:
    """Every session that ended on `day` (Europe/Paris), in chain order."""
    start = datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)
    records = all_records(journal)
    found = []
    for run in worked_sessions(records):
        moment = datetime.fromisoformat(run[-1].created_at.replace("Z", "+00:00"))
        if start <= moment < end:
            found.append(certificate_from(journal, records, run, inventory_url=url))
    return found


def batch_pdf(title: str, certificates: list[Certificate], lang: Lang = "fr") -> bytes:
    heading = "Récapitulatif des effacements" if lang == "fr" else "Erasure summary"
    pdf = Document(footer=f"{heading} — {title}")
    pdf.set_title(f"{heading} — {title}")
    pdf.add_page()
    pdf.heading(f"{heading} — {title}")
    pdf.note(
        f"{len(certificates)} "
        + (
            "support(s) ; chaque certificat complet suit."
            if lang == "fr"
            else "disk(s); each full certificate follows."
        )
    )
    pdf.ln(2)
    rows = []
    for certificate in certificates:
        facts = certificate.facts
        disk = facts["disk"]
        rows.append(
            (
                text_or_missing(disk.get("model") or disk.get("path"), lang),
                text_or_missing(disk.get("serial"), lang),
                size(disk.get("capacity_bytes"), lang).split(" (")[0],
                text_or_missing(facts.get("technique"), lang),
                result_text(facts.get("result"), lang, stopped=bool(facts.get("stopped"))),
                local_time(facts.get("ended_at"), lang),
                certificate.anchor_id[:16] + "…",
            )
        )
    header = [
        word("model", lang),
        word("serial", lang),
        word("capacity", lang),
        word("technique", lang),
        word("result", lang),
        word("end", lang),
        "record",
    ]
    pdf.grid(header, rows, (34, 28, 18, 24, 32, 24, 30))
    for certificate in certificates:
        render_certificate(pdf, certificate, lang)
    return bytes(pdf.output())


def _judged(run: list[StoredRecord]) -> bool:
    return any(record.kind in ("overwrite_pass", "purge_command", "verification") for record in run)
