"""Asset labels, one per machine: asset tag, model, serial, grade and a QR code to the
machine's public record, on common label stock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from station.reports.pdf_kit import Document


@dataclass(frozen=True)
class LabelStock:
    name: str
    width: float  # mm
    height: float
    columns: int = 1  # >1: labels on an A4 sheet
    rows: int = 1
    top: float = 0.0
    left: float = 0.0


STOCKS = {
    "62x29": LabelStock("62x29", 62, 29),  # Brother DK-11209 roll, one label a page
    "100x50": LabelStock("100x50", 100, 50),  # thermal roll
    "70x37": LabelStock("70x37", 70, 37, columns=3, rows=8, top=0.5),  # A4 sheet of 24
}


@dataclass(frozen=True)
class AssetLabel:
    asset_tag: str
    model: str
    serial: str
    grade: str | None
    qr: str
    defects: tuple[str, ...] = ()  # the failed functions, as the grade record lists them


def labels_pdf(labels: list[AssetLabel], stock: LabelStock) -> bytes:
    # fpdf only when a label is made: the bench screen imports this module at start.
    from station.reports.pdf_kit import Document

    sheet = stock.columns > 1
    pdf = Document(page="A4" if sheet else (stock.width, stock.height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    per_page = stock.columns * stock.rows
    for index, label in enumerate(labels):
        if index % per_page == 0:
            pdf.add_page()
        slot = index % per_page
        x = stock.left + (slot % stock.columns) * stock.width
        y = stock.top + (slot // stock.columns) * stock.height
        _draw(pdf, label, x, y, stock)
    return bytes(pdf.output())


def _draw(pdf: Document, label: AssetLabel, x: float, y: float, stock: LabelStock) -> None:
    from station.reports.pdf_kit import FONT  # loaded already by labels_pdf

    pad = 2.0
    qr = stock.height - 2 * pad
    pdf.qr(label.qr, x + stock.width - qr - pad, y + pad, qr)
    width = stock.width - qr - 3 * pad
    scale = stock.height / 29
    pdf.set_xy(x + pad, y + pad)
    # The asset tag and the serial are what people read: shrunk to fit, never cut.
    _shrink_to_fit(pdf, label.asset_tag, width, 9.5 * scale, "B")
    pdf.cell(width, 5 * scale, label.asset_tag)
    pdf.set_font(FONT, size=6.5 * scale)
    for number, text in enumerate(_wrap(pdf, label.model, width, 2)):
        pdf.set_xy(x + pad, y + pad + (6 + number * 3.4) * scale)
        pdf.cell(width, 3.2 * scale, text)
    serial = f"S/N {label.serial}"
    _shrink_to_fit(pdf, serial, width, 6.5 * scale, "")
    pdf.set_xy(x + pad, y + pad + (6 + 2 * 3.4) * scale)
    pdf.cell(width, 3.2 * scale, serial)
    if label.grade:
        pdf.set_font(FONT, "B", 9 * scale)
        pdf.set_xy(x + pad, y + stock.height - pad - 6 * scale)
        box = min(width, 22 * scale)
        pdf.cell(box, 6 * scale, f"Note {label.grade}", border=1, align="C")
    if label.defects:
        # Under the serial, above the grade: what failed, in the grade record's words.
        pdf.set_font(FONT, size=5.5 * scale)
        pdf.set_xy(x + pad, y + pad + (6 + 3 * 3.4) * scale)
        pdf.cell(width, 3 * scale, _fit(pdf, "Défauts : " + ", ".join(label.defects), width))


def _fit(pdf: Document, text: str, width: float) -> str:
    """Cut a long value with an ellipsis rather than overflow onto the QR code."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _wrap(pdf: Document, text: str, width: float, most: int) -> list[str]:
    """Up to `most` lines, words kept whole; the last one cut if it still does not fit."""
    lines: list[str] = []
    for word in text.split():
        if lines and pdf.get_string_width(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > most:
        lines = [*lines[: most - 1], " ".join(lines[most - 1 :])]
    return [_fit(pdf, line, width) for line in lines]


def _shrink_to_fit(pdf: Document, text: str, width: float, size: float, style: str) -> None:
    from station.reports.pdf_kit import FONT  # loaded already by labels_pdf

    pdf.set_font(FONT, style, size)
    while size > 4 and pdf.get_string_width(text) > width:
        size -= 0.25
        pdf.set_font(FONT, style, size)
