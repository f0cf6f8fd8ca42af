"""The certificate of erasure as a printed document (PDF, French or English).

Page 1 is for the donor: the workshop, the machine and the disk, the method named as
NIST SP 800-88 Rev. 2 and IEEE 2883 name it, the result in plain words, and a QR code.
The technical annex follows. The PDF carries its own proof: the certificate JSON (signed
envelopes and facts) and the bench's public key are embedded as associated files
(PDF/A-3 style), which `station verify cert.pdf` reads back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fpdf import XPos, YPos

from station import __version__
from station.reports.certificate import Certificate
from station.reports.certificate_rows import (
    annex_sections,
    record_rows,
    result_text,
    summary_sections,
)
from station.reports.certificate_terms import plain_result
from station.reports.pdf_kit import FONT, RESULT_COLOURS, Document
from station.reports.wording import Lang, local_time, word
from station.reports.workshop import Workshop

QR_SIZE = 38.0
CERTIFICATE_FILE = "certificat.json"
KEY_FILE = "cle-publique-poste.pem"


def render_certificate(
    pdf: Document, certificate: Certificate, lang: Lang, workshop: Workshop | None = None
) -> None:
    """One certificate (page 1 and its annex) on fresh pages of `pdf`."""
    _summary_page(pdf, certificate, lang, workshop)
    _annex(pdf, certificate, lang)


def _summary_page(
    pdf: Document, certificate: Certificate, lang: Lang, workshop: Workshop | None
) -> None:
    facts = certificate.facts
    pdf.add_page()
    top = pdf.get_y()
    width = pdf.epw - QR_SIZE - 4
    _workshop_block(pdf, workshop, lang, width)
    pdf.qr(certificate.qr, pdf.l_margin + pdf.epw - QR_SIZE, top - 4, QR_SIZE)
    pdf.set_y(max(pdf.get_y() + 2, top + QR_SIZE - 6))
    pdf.heading(word("certificate", lang), size=15)
    pdf.note(word("subtitle", lang), size=8.5)
    number = certificate.anchor_id[:16]
    pdf.note(f"Certificat n° {number}" if lang == "fr" else f"Certificate No. {number}", size=8.5)
    pdf.ln(1)
    result = facts.get("result")
    stopped = bool(facts.get("stopped"))
    said = result_text(result, lang, stopped=stopped)
    colour = "cleared_with_warnings" if stopped else result or "failed"
    pdf.banner(said, RESULT_COLOURS.get(colour, RESULT_COLOURS["failed"]))
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(
        0,
        5,
        plain_result(result, lang, stopped=stopped),
        align="L",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, size=9)
    for title, rows in summary_sections(facts, lang):
        pdf.section(title)
        pdf.pairs(rows, label_width=48)
    pdf.ln(2)
    pdf.note(
        (
            "Ce document est tiré d'enregistrements signés par le poste d'effacement. "
            "Pour le vérifier : scannez le QR code (page de vérification de l'atelier), "
            "ou lancez « station verify certificat.pdf --key poste.pem » : le PDF contient "
            "ces enregistrements et la clé publique du poste. Le détail technique suit "
            "en annexe."
        )
        if lang == "fr"
        else (
            "This document is drawn from records signed by the erasure bench. To check it: "
            "scan the QR code (the workshop's verification page), or run "
            "'station verify certificate.pdf --key bench.pem': the PDF carries those "
            "records and the bench's public key. Technical details follow in the annex."
        )
    )
    pdf.note(word("legal", lang))


def _workshop_block(pdf: Document, workshop: Workshop | None, lang: Lang, width: float) -> None:
    if workshop is None:
        pdf.note(
            "Atelier : non configuré (profil d'atelier workshop.yaml absent)"
            if lang == "fr"
            else "Workshop: not configured (no workshop.yaml profile)",
            size=9,
        )
        return
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width, 6, workshop.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    lines = list(workshop.address)
    if workshop.siret_text():
        lines.append(f"SIRET {workshop.siret_text()}")
    lines += [item for item in (workshop.website, workshop.email) if item]
    for line in lines:
        pdf.cell(width, 4.4, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _annex(pdf: Document, certificate: Certificate, lang: Lang) -> None:
    facts = certificate.facts
    pdf.add_page()
    pdf.heading("Annexe technique" if lang == "fr" else "Technical annex", size=13)
    pdf.note(
        f"{word('certificate', lang)} — {certificate.anchor_id}",
        size=7.5,
    )
    for title, rows in annex_sections(facts, lang):
        pdf.section(title)
        pdf.pairs(rows)
    pdf.section(word("evidence", lang))
    pdf.pairs([(word("key", lang), certificate.keyid)], label_width=40)
    pdf.ln(1)
    pdf.set_font(FONT, size=7.5)
    header = (
        ["N°", "Type d'enregistrement", "Identifiant (empreinte SHA-256)"]
        if lang == "fr"
        else ["No.", "Record kind", "Record id (SHA-256)"]
    )
    pdf.grid(header, record_rows(facts, lang), (10, 44, pdf.epw - 54))
    pdf.ln(2)
    made = datetime.now(UTC).isoformat(timespec="seconds")
    pdf.note(f"{word('generated', lang)} {local_time(made, lang)} — Station {__version__}")


def embed_evidence(pdf: Document, certificate: Certificate, lang: Lang) -> None:
    """The signed records (in the certificate JSON) and the bench public key, as
    associated files of the document."""
    data = json.dumps(certificate.to_json(lang), indent=1, ensure_ascii=False) + "\n"
    pdf.embed_file(
        bytes=data.encode(),
        basename=f"{certificate.anchor_id[:16]}-{CERTIFICATE_FILE}",
        mime_type="application/json",
        associated_file_relationship="Source",
        desc="Signed records and facts of this certificate (station verify)",
    )
    key_name = f"{certificate.keyid[:16]}-{KEY_FILE}"
    if key_name in embedded_names(pdf):
        return  # a lot document: the bench's key once, for all its certificates
    pdf.embed_file(
        bytes=certificate.public_key_pem.encode(),
        basename=key_name,
        mime_type="application/x-pem-file",
        associated_file_relationship="Supplement",
        desc=f"Public key of bench {certificate.bench_id} (keyid {certificate.keyid})",
    )


def embedded_names(pdf: Document) -> set[str]:
    return {str(item.basename()) for item in pdf.embedded_files}


def certificate_pdf(
    certificate: Certificate, lang: Lang = "fr", workshop: Workshop | None = None
) -> bytes:
    pdf = Document(
        footer=f"{word('certificate', lang)} — {certificate.anchor_id[:16]}…", archival=True
    )
    pdf.set_title(word("certificate", lang))
    pdf.set_lang(lang)
    render_certificate(pdf, certificate, lang, workshop)
    embed_evidence(pdf, certificate, lang)
    return bytes(pdf.output())
