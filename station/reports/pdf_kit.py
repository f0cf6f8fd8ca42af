"""Shared PDF building blocks (fpdf2): a document with an embedded Unicode font,
section titles, label/value tables, QR images and a small line chart."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import segno
from fpdf import FPDF, FontFace, XPos, YPos
from fpdf.enums import DocumentCompliance

from station.errors import ConfigError

FONT_DIR_ENV = "STATION_FONT_DIR"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT = "DejaVu"
MONO = "DejaVuMono"
_FILES = {
    (FONT, ""): "DejaVuSans.ttf",
    (FONT, "B"): "DejaVuSans-Bold.ttf",
    (MONO, ""): "DejaVuSansMono.ttf",
}
GREY = (110, 110, 110)
RESULT_COLOURS = {
    "purged": (26, 120, 60),
    "cleared": (26, 120, 60),
    "cleared_with_warnings": (190, 120, 0),
    "failed": (170, 20, 20),
}


def font_dir() -> Path:
    """Where DejaVu is (Debian's fonts-dejavu-core), or STATION_FONT_DIR."""
    candidates = [Path(os.environ[FONT_DIR_ENV])] if os.environ.get(FONT_DIR_ENV) else []
    for folder in [*candidates, *FONT_DIRS]:
        if (folder / "DejaVuSans.ttf").is_file():
            return folder
    raise ConfigError(
        "no DejaVu font for PDF documents: install Debian's fonts-dejavu-core, or set "
        f"{FONT_DIR_ENV} to a folder holding DejaVuSans.ttf"
    )


class Document(FPDF):
    """A PDF with DejaVu embedded (accents, «», →) and a footer line."""

    def __init__(
        self,
        *,
        footer: str = "",
        orientation: str = "P",
        page: str | tuple[float, float] = "A4",
        archival: bool = False,
    ) -> None:
        # archival: PDF/A-3B, whose associated files are how a certificate carries its
        # signed records (fpdf2 then checks fonts are embedded, no transparency...).
        super().__init__(
            orientation=orientation,
            unit="mm",
            format=page,
            enforce_compliance=DocumentCompliance.PDFA_3B if archival else None,
        )
        folder = font_dir()
        for (family, style), name in _FILES.items():
            self.add_font(family, style=style, fname=str(folder / name))
        self.footer_text = footer
        self.set_font(FONT, size=9)
        self.set_creator("Station")

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.footer_text} — {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 16) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)

    def note(self, text: str, size: float = 8) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*GREY)
        self.multi_cell(0, size * 0.45, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=9)

    def section(self, title: str) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 10.5)
        self.set_fill_color(232, 236, 241)
        self.cell(0, 6.5, " " + title, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=9)
        self.ln(1)

    def pairs(self, rows: Sequence[tuple[str, str]], label_width: float = 52) -> None:
        """Label / value rows; long values wrap."""
        width = self.epw
        self.set_fill_color(255, 255, 255)
        with self.table(
            cell_fill_color=(246, 247, 249),
            cell_fill_mode="ROWS",
            col_widths=(label_width, width - label_width),
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
            line_height=4.6,
            padding=(0.6, 1.2),
            text_align="LEFT",
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=FontFace(emphasis="BOLD"))
                row.cell(value)

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        """A table with a heading row (repeated on each page)."""
        self.set_fill_color(255, 255, 255)
        with self.table(
            col_widths=tuple(widths),
            headings_style=FontFace(emphasis="BOLD", fill_color=(232, 236, 241)),
            line_height=4.2,
            padding=(0.5, 0.8),
            text_align="LEFT",
            repeat_headings=1,
        ) as table:
            heading = table.row()
            for text in header:
                heading.cell(text)
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(text)

    def qr(self, payload: str, x: float, y: float, width: float) -> None:
        self.image(qr_png(payload), x=x, y=y, w=width, h=width)

    def banner(self, text: str, colour: tuple[int, int, int], width: float = 0) -> None:
        self.set_font(FONT, "B", 12)
        self.set_fill_color(*colour)
        self.set_text_color(255, 255, 255)
        self.cell(width, 9, " " + text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT, size=9)


def qr_png(payload: str, scale: int = 8) -> io.BytesIO:
    """The payload as a QR PNG (medium error correction: survives a scuffed print)."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    buffer.seek(0)
    return buffer


def line_chart(
    pdf: Document,
    box: tuple[float, float, float, float],
    series: Sequence[Sequence[float]],
    *,
    x_label: str,
    y_label: str,
    legend: Sequence[str],
) -> None:
    """Each series spread over the full width (0 to 100 % of the disk)."""
    x, y, w, h = box
    top = max((max(s) for s in series if s), default=0.0) or 1.0
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h)
    pdf.set_font(FONT, size=6.5)
    pdf.set_text_color(*GREY)
    for fraction in (0.0, 0.5, 1.0):
        level = y + h - fraction * h
        pdf.line(x - 1, level, x, level)
        pdf.text(
            x - 1 - pdf.get_string_width(f"{top * fraction:.0f}"),
            level + 1,
            f"{top * fraction:.0f}",
        )
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        pdf.text(x + fraction * w - 2.5, y + h + 3.2, f"{fraction * 100:.0f} %")
    pdf.text(x, y - 1.2, y_label)
    pdf.text(x + w - pdf.get_string_width(x_label), y + h + 6.4, x_label)
    colours = [(31, 90, 180), (200, 90, 20), (40, 140, 60), (140, 40, 140)]
    pdf.set_line_width(0.45)
    for index, values in enumerate(series):
        colour = colours[index % len(colours)]
        pdf.set_draw_color(*colour)
        if len(values) == 1:
            level = y + h - values[0] / top * h
            pdf.line(x, level, x + w, level)
        elif values:
            step = w / (len(values) - 1)
            points = [(x + i * step, y + h - v / top * h) for i, v in enumerate(values)]
            pdf.polyline(points)
        pdf.set_text_color(*colour)
        if index < len(legend):
            pdf.text(x + 2, y + 3.5 + index * 3.2, legend[index])
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_font(FONT, size=9)
