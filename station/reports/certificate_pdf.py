"""The certificate of erasure as a printed document (PDF, French or English)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from station import __version__
from station.reports.certificate import Certificate
from station.reports.certificate_rows import result_text, section_rows
from station.reports.pdf_kit import FONT, RESULT_COLOURS, Document, line_chart
from station.reports.wording import (
    Lang,
    local_time,
    text_or_missing,
    word,
)

QR_SIZE = 42.0


def render_certificate(pdf: Document, certificate: Certificate, lang: Lang) -> None:
    """One certificate on fresh pages of `pdf`."""
    facts = certificate.facts
    pdf.add_page()
    top = pdf.get_y()
    width = pdf.epw - QR_SIZE - 4
    pdf.heading(word("certificate", lang))
    pdf.note(word("subtitle", lang), size=8.5)
    pdf.ln(1)
    result = facts.get("result")
    stopped = bool(facts.get("stopped"))
    said = result_text(result, lang, stopped=stopped)
    pdf.banner(
        f"{word('result', lang)} : {said}" if lang == "fr" else f"{word('result', lang)}: {said}",
        RESULT_COLOURS["cleared_with_warnings"]
        if stopped
        else RESULT_COLOURS.get(result or "failed", RESULT_COLOURS["failed"]),
        width,
    )
    disk = facts["disk"]
    pdf.set_font(FONT, "B", 10)
    pdf.cell(
        width,
        6,
        f"{text_or_missing(disk.get('model'), lang)} — {word('serial', lang)} "
        f"{text_or_missing(disk.get('serial'), lang)}",
    )
    pdf.set_font(FONT, size=9)
    pdf.ln(6)
    pdf.cell(
        width,
        5,
        f"{word('bench', lang)} {text_or_missing(facts.get('bench_id'), lang)} — "
        f"{word('operator', lang)} {text_or_missing(facts.get('operator'), lang)} — "
        f"{local_time(facts.get('ended_at'), lang)}",
    )
    pdf.qr(certificate.qr, pdf.l_margin + pdf.epw - QR_SIZE, top - 2, QR_SIZE)
    pdf.set_y(max(pdf.get_y() + 7, top + QR_SIZE))
    for title, rows in section_rows(facts, lang):
        pdf.section(title)
        pdf.pairs(rows)
    _curve(pdf, facts, lang)
    pdf.section(word("evidence", lang))
    pdf.pairs([(word("key", lang), certificate.keyid)], label_width=40)
    pdf.ln(1)
    evidence = [(str(r["seq"]), str(r["kind"]), str(r["record_id"])) for r in facts["records"]]
    pdf.set_font(FONT, size=7.5)
    pdf.grid(["seq", "kind", "record_id (sha256)"], evidence, (12, 34, pdf.epw - 46))
    pdf.ln(2)
    pdf.note(word("qr_help", lang))
    pdf.note(word("legal", lang))
    made = datetime.now(UTC).isoformat(timespec="seconds")
    pdf.note(f"{word('generated', lang)} {local_time(made, lang)} — Station {__version__}")


def certificate_pdf(certificate: Certificate, lang: Lang = "fr") -> bytes:
    pdf = Document(footer=f"{word('certificate', lang)} — {certificate.anchor_id[:16]}…")
    pdf.set_title(word("certificate", lang))
    pdf.set_lang(lang)
    render_certificate(pdf, certificate, lang)
    return bytes(pdf.output())


def _curve(pdf: Document, facts: dict[str, Any], lang: Lang) -> None:
    passes = facts.get("passes") or []
    if not passes:
        return
    sampled = all(item.get("throughput_mbps") for item in passes)
    series = [
        [float(v) for v in item["throughput_mbps"]]
        if sampled
        else [float(item.get("rate_bps") or 0) / 1e6]
        for item in passes
    ]
    if not any(value > 0 for values in series for value in values):
        return  # nothing measured (a pass cut short): "not recorded" is already printed
    if pdf.get_y() > pdf.h - 75:
        pdf.add_page()
    pdf.section(word("curve_title", lang))
    pdf.note(word("curve_slices" if sampled else "curve_average", lang))
    top = pdf.get_y() + 6
    unit = "Mo/s" if lang == "fr" else "MB/s"
    position = "position sur le disque" if lang == "fr" else "position on the disk"
    legend = [f"{'passe' if lang == 'fr' else 'pass'} {item.get('index')}" for item in passes]
    line_chart(
        pdf,
        (pdf.l_margin + 10, top, pdf.epw - 14, 38),
        series,
        x_label=position,
        y_label=unit,
        legend=legend,
    )
    pdf.set_y(top + 38 + 9)
