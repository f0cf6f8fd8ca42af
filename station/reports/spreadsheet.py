"""CSV as a French spreadsheet opens it: UTF-8 with BOM (Excel needs it to read
accents), ';' separated, CRLF; and no cell a spreadsheet would run as a formula.

A cell starting with = + - @ tab or carriage return is prefixed with an apostrophe
(OWASP, "CSV Injection"): a serial number or a donor's name typed as "=HYPERLINK(...)"
is shown as text, never evaluated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(_FORMULA_START) else text


def french_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutral(cell) for cell in header])
    for row in rows:
        writer.writerow([neutral(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
