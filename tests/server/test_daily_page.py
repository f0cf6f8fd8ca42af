"""The inventory's daily-log page for all benches, rendered by the real server from
ingested signed records and read in headless Chromium, as the supervisor's browser would."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.daily_sources import sign_off
from station.reports.wording import PARIS
from tests.browser import dump_dom
from tests.server.bench_journal import BenchFiles
from tests.server.conftest import Api

pytestmark = pytest.mark.server


def signed_in_page(session: requests.Session, url: str, folder: Path) -> str:
    """The page as a signed-in user gets it, saved for Chromium to render (Chromium's
    command line cannot carry the session cookie)."""
    answer = session.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    saved = folder / "page.html"
    saved.write_text(answer.text, encoding="utf-8")
    return saved.as_uri()


class Sections(HTMLParser):
    """Text of each bench section, the class of its sign-off line, its table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict[str, object]] = {}
        self.current: str | None = None
        self.signoff_class = ""
        self.in_row = False
        self.in_signoff = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and (found.get("id") or "").startswith("bench-"):
            self.current = str(found["id"])[6:]
            self.sections[self.current] = {"text": "", "signoff": "", "rows": []}
        elif self.current and tag == "p" and "signoff" in (found.get("class") or ""):
            self.sections[self.current]["signoff"] = found.get("class")
        elif self.current and tag == "tr":
            self.in_row = True
            rows = self.sections[self.current]["rows"]
            assert isinstance(rows, list)
            rows.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.current = None
        if tag == "tr":
            self.in_row = False

    def handle_data(self, data: str) -> None:
        if self.current is None:
            return
        section = self.sections[self.current]
        section["text"] = f"{section['text']}{data} "
        if self.in_row:
            rows = section["rows"]
            assert isinstance(rows, list)
            rows[-1] += data + "|"


def now() -> datetime:
    return datetime.now(UTC)


def disk(serial: str) -> dict[str, object]:
    return {"serial": serial, "model": "WDC WD5000AAKX", "size_bytes": 500_107_862_016}


def wipe(journal: Journal, serial: str, result: str, operator: str) -> None:
    started = now() - timedelta(seconds=2)
    journal.append_many(
        [
            sample_body("disk_seen", disk=disk(serial), operator=operator, created_at=started),
            sample_body("overwrite_pass", disk=disk(serial), operator=operator,
                        created_at=now(), started_at=started, ended_at=now()),
            sample_body("verification", disk=disk(serial), operator=operator, created_at=now(),
                        result=result,
                        mismatched_ranges=[{"offset": 0, "length": 4096}]
                        if result == "failed" else []),
        ]
    )  # fmt: skip


def push(api: Api, files: BenchFiles) -> None:
    assert api.post("/v1/benches", json=files.enrolment()).status_code == 201
    answer = api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve")
    assert answer.status_code == 200, answer.text
    with files.open() as journal:
        chain = journal.export_chain()
    stored = api.post("/v1/records/batch", json={"envelopes": chain})
    assert stored.status_code in (200, 201), stored.text


def make_bench(root: Path, bench_id: str) -> BenchFiles:
    files = BenchFiles.__new__(BenchFiles)
    files.key_dir = root / "keys"
    files.journal_path = root / "journal.sqlite3"
    files.key = load_or_create_bench_key(files.key_dir, bench_id=bench_id)
    return files


def test_daily_page_for_all_benches_in_headless_chromium(sqlite_api: Api, tmp_path: Path) -> None:
    today = datetime.now(PARIS).date()
    first = make_bench(tmp_path / "a", "bench-a1")
    with first.open() as journal:
        wipe(journal, "WD-GOOD-1", "cleared", "op-7")
        wipe(journal, "WD-BAD-2", "failed", "op-8")
        sign_off(journal, today, "sup-2")
        wipe(journal, "WD-LATE-3", "cleared", "op-7")  # after the sign-off: a discrepancy
    second = make_bench(tmp_path / "b", "bench-b2")
    with second.open() as journal:
        wipe(journal, "WD-OTHER-4", "cleared", "op-9")
    push(sqlite_api, first)
    push(sqlite_api, second)

    reader = sqlite_api.sign_in("claire", "encadrant")
    page = dump_dom(
        signed_in_page(reader, f"{sqlite_api.url}/daily?date={today:%d/%m/%Y}", tmp_path)
    )
    assert f"Journal du jour — {today.strftime('%d/%m/%Y')}" in page
    parsed = Sections()
    parsed.feed(page)
    assert set(parsed.sections) == {"bench-a1", "bench-b2"}

    signed = parsed.sections["bench-a1"]
    assert "discrepancy" in str(signed["signoff"])
    assert "sup-2, approuvé" in str(signed["text"])
    assert re.search(
        r"ÉCART : 3 enregistrement\(s\) ajouté\(s\) après le visa", str(signed["text"])
    )
    rows = [row for row in signed["rows"] if "WD-" in row]  # type: ignore[union-attr,attr-defined]
    assert len(rows) == 3
    bad = next(row for row in rows if "WD-BAD-2" in row)
    assert "échec" in bad and "vérification en échec (1 écart(s)" in bad and "op-8" in bad
    assert any("WD-GOOD-1" in row and "effacé" in row for row in rows)

    other = parsed.sections["bench-b2"]
    assert "missing" in str(other["signoff"]) and "pas encore visé" in str(other["text"])
    assert "WD-OTHER-4" in str(other["text"])

    empty = dump_dom(signed_in_page(reader, f"{sqlite_api.url}/daily?date=01/01/2020", tmp_path))
    assert empty.count("Aucun enregistrement ce jour.") == 2


def test_a_bad_date_gets_a_clear_answer(sqlite_api: Api) -> None:
    answer = sqlite_api.get("/daily", params={"date": "31/02/2026"})
    assert answer.status_code == 422
    assert "Date invalide" in answer.text and "text/html" in answer.headers["content-type"]
