#!/usr/bin/env python3
"""`make back-office-screenshots`: the PNGs of docs/inventory-server.md's back office.

The fixture bench day of the report previews (tests/fixtures/reports/lot-journal.json:
three laptops of lot DEP69-2026-11) is signed into a fresh journal and pushed to a real
inventory server on 127.0.0.1; a supervisor made with `station-inventory user add` signs
in through the form, creates the lot and records one destination; each page, as that
supervisor gets it, is photographed with headless Chromium (its style sheet inlined, since
Chromium's command line cannot carry the session cookie).

    python scripts/back_office_screenshots.py [OUT_DIR]   (default: docs/inventory-server)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from report_previews import FIXTURE, INVENTORY, browser_shot, push, start_server  # noqa: E402

from station.journal.keys import generate_key  # noqa: E402
from station.journal.store import Journal  # noqa: E402

CSS = ROOT / "station" / "inventory" / "static" / "station.css"
PASSWORD = "mot de passe de démonstration"
PAGES = (
    ("accueil", "/", "1100,700"),
    ("lot", "/lots/DEP69-2026-11", "1100,1500"),
    ("machine", "/machines/EPN-4242", "1100,1900"),
    ("rapports", "/rapports?du=2026-11-01&au=2026-11-30", "1100,1000"),
    ("postes", "/postes", "1100,800"),
)


def csrf(session: requests.Session, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', session.get(url + "/").text)
    assert found, "not signed in"
    return found.group(1)


def walk(url: str, db: str) -> requests.Session:
    subprocess.run([INVENTORY, "user", "add", "claire", "--role", "encadrant", "--db", db,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    session = requests.Session()
    session.post(url + "/login", data={"username": "claire", "password": PASSWORD}, timeout=30)
    lot = {"code": "DEP69-2026-11", "donor": "Département du Rhône",
           "received_on": "2026-11-18", "expected_count": "5", "tag_prefix": "EPN-",
           "notes": "Premier envoi du parc"}  # fmt: skip
    destination = {"kind": "college", "organisation": "Collège Jean Moulin",
                   "referrer": "", "given_on": "2026-11-27"}  # fmt: skip
    for path, data in (("/lots", lot), ("/machines/EPN-4242/destination", destination)):
        answer = session.post(url + path, data={"csrf_token": csrf(session, url), **data},
                              timeout=30)  # fmt: skip
        answer.raise_for_status()
    return session


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "inventory-server"
    out.mkdir(parents=True, exist_ok=True)
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    style = f"<style>{CSS.read_text(encoding='utf-8')}</style>"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        server, url, db = start_server(work)
        try:
            with Journal(work / "journal.sqlite3", generate_key(fixture["bench_id"])) as journal:
                journal.append_many(fixture["bodies"])
                push(url, db, journal)
            session = walk(url, db)
            for name, path, size in PAGES:
                answer = session.get(url + path, timeout=60)
                answer.raise_for_status()
                page = work / f"{name}.html"
                html = answer.text.replace('<link rel="stylesheet" href="/static/station.css">',
                                           style)  # fmt: skip
                page.write_text(html, encoding="utf-8")
                target = out / f"{name}.png"
                browser_shot(page.as_uri(), target, size)
                print(
                    f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
