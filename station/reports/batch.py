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
from station.reports.certificate_pdf import embed_evidence, render_certificate
from station.reports.certificate_rows import result_text
from station.reports.certificate_terms import nist_method
from station.reports.pdf_kit import FONT, Document
from station.reports.spreadsheet import french_csv
from station.reports.wording import PARIS, Lang, local_time, size, text_or_missing, word
from station.reports.workshop import Workshop


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
        # No inventory: the machine named by the asset tag typed at the erasure or deploy.
        return [
            certificate
            for certificate in _all_certificates(journal, records, url)
            if (certificate.facts.get("source_device") or {}).get("asset_tag") == host_serial
        ]
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


def lot_certificates(journal: Journal, lot: str, url: str | None) -> list[Certificate]:
    """Every erased disk of a donation lot (the lot given at the erasure), in chain order."""
    records = all_records(journal)
    return [c for c in _all_certificates(journal, records, url) if c.facts.get("lot") == lot]


def _all_certificates(
    journal: Journal, records: list[StoredRecord], url: str | None
) -> list[Certificate]:
    return [
        certificate_from(journal, records, run, inventory_url=url)
        for run in worked_sessions(records)
    ]


def summary_rows(certificates: list[Certificate], lang: Lang) -> list[tuple[str, ...]]:
    """One line per disk: the lot document's table (and its CSV)."""
    rows: list[tuple[str, ...]] = []
    for certificate in certificates:
        facts = certificate.facts
        disk = facts["disk"]
        source = facts.get("source_device") or {}
        rows.append(
            (
                text_or_missing(source.get("asset_tag"), lang),
                text_or_missing(disk.get("manufacturer"), lang),
                text_or_missing(disk.get("model") or disk.get("path"), lang),
                text_or_missing(disk.get("serial"), lang),
                size(disk.get("capacity_bytes"), lang).split(" (")[0],
                nist_method(facts.get("method"), lang) or word("not_recorded", lang),
                result_text(facts.get("result"), lang, stopped=bool(facts.get("stopped"))),
                local_time(facts.get("ended_at"), lang),
                certificate.anchor_id[:16],
            )
        )
    return rows


def summary_header(lang: Lang) -> list[str]:
    return [
        word("asset", lang),
        word("manufacturer", lang),
        word("model", lang),
        word("serial", lang),
        word("capacity", lang),
        word("method", lang),
        word("result", lang),
        word("end", lang),
        "Certificat n°" if lang == "fr" else "Certificate No.",
    ]


def batch_pdf(
    title: str,
    certificates: list[Certificate],
    lang: Lang = "fr",
    workshop: Workshop | None = None,
    donor: str | None = None,
) -> bytes:
    """The summary table, then each full certificate; every certificate's signed records
    are embedded, so `station verify` checks the whole document."""
    heading = "Récapitulatif des effacements" if lang == "fr" else "Erasure summary"
    pdf = Document(footer=f"{heading} — {title}", archival=True)
    pdf.set_title(f"{heading} — {title}")
    pdf.add_page(orientation="L")
    if workshop is not None:
        pdf.note(
            " — ".join(
                [workshop.name, *workshop.address]
                + [f"SIRET {workshop.siret_text()}"] * bool(workshop.siret)
            ),
            size=9,
        )
    pdf.heading(f"{heading} — {title}")
    if donor:
        pdf.note(("Donateur : " if lang == "fr" else "Donor: ") + donor, size=10)
    pdf.note(
        f"{len(certificates)} "
        + (
            "support(s) ; chaque certificat complet suit."
            if lang == "fr"
            else "disk(s); each full certificate follows."
        )
    )
    pdf.ln(2)
    pdf.set_font(FONT, size=7.5)
    pdf.grid(
        summary_header(lang), summary_rows(certificates, lang), (26, 30, 44, 34, 18, 44, 30, 26, 25)
    )
    for certificate in certificates:
        render_certificate(pdf, certificate, lang, workshop)
        embed_evidence(pdf, certificate, lang)
    return bytes(pdf.output())


def _judged(run: list[StoredRecord]) -> bool:
    return any(record.kind in ("overwrite_pass", "purge_command", "verification") for record in run)


def batch_csv(certificates: list[Certificate], lang: Lang = "fr") -> bytes:
    """The summary table as a French spreadsheet (dates dd/mm/yyyy, Paris time)."""
    return french_csv(summary_header(lang), summary_rows(certificates, lang))
