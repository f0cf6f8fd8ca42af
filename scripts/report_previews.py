#!/usr/bin/env python3
"""`make report-previews`: the PNG previews of docs/reports.md, made from a fixture journal.

tests/fixtures/reports/lot-journal.json (one made-up bench day: a Clear with full
read-back then an image deploy, a firmware Purge, a failed erasure) is signed into a
fresh journal; the certificate and the lot document are rendered with pdftoppm; the
records are pushed to a real inventory server on 127.0.0.1 and its verification page
and home page are photographed with headless Chromium.

    python scripts/report_previews.py [OUT_DIR]      (default: docs/reports)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from station.journal.keys import generate_key  # noqa: E402
from station.journal.signed_requests import signed_enrolment  # noqa: E402
from station.journal.store import Journal  # noqa: E402
from station.reports.batch import batch_pdf, lot_certificates  # noqa: E402
from station.reports.certificate import build_certificate  # noqa: E402
from station.reports.certificate_pdf import certificate_pdf  # noqa: E402
from station.reports.daily_sources import sign_off  # noqa: E402
from station.reports.workshop import load_workshop  # noqa: E402

INVENTORY = str(Path(sys.executable).parent / "station-inventory")
FIXTURE = ROOT / "tests" / "fixtures" / "reports" / "lot-journal.json"
WORKSHOP = ROOT / "profiles" / "workshop" / "example.yaml"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pdf_pages(pdf: Path, prefix: Path, first: int, last: int) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-r", "70", "-f", str(first), "-l", str(last), "-png", str(pdf), str(prefix)],
        check=True, timeout=300,
    )  # fmt: skip
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def browser_shot(url: str, out: Path, size: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("report-previews needs Debian's chromium (scripts/install-system-deps.sh)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
             f"--window-size={size}", url],
            check=True, timeout=180, capture_output=True,
        )  # fmt: skip


def start_server(work: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    db = f"sqlite:///{work / 'inventory.db'}"
    server = subprocess.Popen(
        [INVENTORY, "serve", "--db", db, "--port", str(port),
         "--log-level", "warning"],
        env={**os.environ, "STATION_WORKSHOP": str(WORKSHOP)},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/v1/health", timeout=1)
            return server, url, db
        except requests.ConnectionError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the inventory server did not start")


def push(url: str, db: str, journal: Journal) -> None:
    # Enrolment is signed by the key it presents (proof of possession).
    enrol = signed_enrolment(journal.key.private_key, journal.bench_id, "Poste 2")
    requests.post(url + "/v1/benches", json=enrol, timeout=30).raise_for_status()
    subprocess.run(
        [INVENTORY, "bench", "approve", journal.bench_id, "--db", db],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    envelopes = journal.export_chain()
    requests.post(
        url + "/v1/records/batch", json={"envelopes": envelopes}, timeout=60
    ).raise_for_status()


def make_previews(out: Path) -> list[Path]:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    workshop = load_workshop(WORKSHOP)
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        server, url, db = start_server(work)
        try:
            key = generate_key(fixture["bench_id"])
            with Journal(work / "journal.sqlite3", key) as journal:
                journal.append_many(fixture["bodies"])
                sign_off(
                    journal,
                    date.fromisoformat(fixture["signoff"]["day"]),
                    fixture["signoff"]["supervisor"],
                )
                first = fixture["bodies"][1]["disk"]["serial"]
                certificate = build_certificate(journal, first, inventory_url=url)
                lot = fixture["bodies"][1]["lot"]
                lot_docs = lot_certificates(journal, lot, url)
                push(url, db, journal)
            (work / "cert.pdf").write_bytes(certificate_pdf(certificate, "fr", workshop))
            donor = lot_docs[0].facts.get("donor")
            (work / "lot.pdf").write_bytes(batch_pdf(f"lot {lot}", lot_docs, "fr", workshop, donor))
            for name, pdf, last in (("certificat", "cert.pdf", 3), ("lot", "lot.pdf", 1)):
                for index, page in enumerate(pdf_pages(work / pdf, work / name, 1, last), 1):
                    target = out / f"{name}-page{index}.png"
                    shutil.copyfile(page, target)
                    made.append(target)
            for name, path, size in (
                ("verification", certificate.qr.removeprefix(url), "820,1500"),
                ("accueil", "/", "820,620"),
            ):
                target = out / f"{name}.png"
                browser_shot(url + path, target, size)
                made.append(target)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return made


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "reports"
    for path in make_previews(out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
