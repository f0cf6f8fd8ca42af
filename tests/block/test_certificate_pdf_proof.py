"""The issue's "done when": a loop device wiped by `station wipe --profile
nist-clear-full --asset-tag EPN-4242`, its certificate PDF names the asset tag, the
profile and NIST SP 800-88 Rev. 2, embeds its signed JSON and the bench key, passes
`station verify cert.pdf --key bench.pem`; a copy whose embedded data, printed result or
printed asset tag was changed is refused with exit 8 and the field named."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject

from station.journal.keys import load_or_create_bench_key
from station.journal.store import JOURNAL_FILE, Journal
from station.reports.certificate import build_certificate
from station.reports.certificate_pdf import embed_evidence, render_certificate
from station.reports.pdf_kit import Document
from tests.conftest import LoopFactory

pytestmark = pytest.mark.block
MIB = 1024 * 1024


def station(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STATION_DATA_DIR": str(tmp_path / "data"), "STATION_BENCH_ID": "bench-p1"}
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


@pytest.fixture
def certified(make_loop: LoopFactory, tmp_path: Path) -> dict[str, Any]:
    device = make_loop(16 * MIB, direct_io=True)
    wiped = station(
        tmp_path, "wipe", device, "--profile", "nist-clear-full", "--asset-tag", "EPN-4242",
        "--operator", "op-7", "--yes",
    )  # fmt: skip
    assert wiped.returncode == 0, wiped.stderr
    (tmp_path / "bench.pem").write_bytes(
        (tmp_path / "data" / "keys" / "bench-ed25519.pub.pem").read_bytes()
    )
    with _journal(tmp_path) as journal:
        last = journal.tip()
    assert last is not None and last.kind == "verification"
    cert = tmp_path / "cert.pdf"
    made = station(tmp_path, "certificate", last.record_id, "--out", str(cert))
    assert made.returncode == 0, made.stderr
    return {"pdf": cert, "subject": last.record_id}


def _journal(tmp_path: Path) -> Journal:
    key = load_or_create_bench_key(tmp_path / "data" / "keys", bench_id="bench-p1")
    return Journal(tmp_path / "data" / JOURNAL_FILE, key)


def verify(tmp_path: Path, pdf: Path) -> subprocess.CompletedProcess[str]:
    return station(tmp_path, "verify", str(pdf), "--key", str(tmp_path / "bench.pem"))


def test_the_certificate_names_its_facts_and_embeds_its_proof(
    certified: dict[str, Any], tmp_path: Path
) -> None:
    reader = PdfReader(certified["pdf"])
    first = reader.pages[0].extract_text()
    assert "EPN-4242" in first and "nist-clear-full" in first
    assert "NIST SP 800-88 Rev. 2 — Clear (effacement logique)" in first
    assert "IEEE 2883 : Overwrite (écrasement)" in first
    assert "relecture complète" in first and "EFFACÉ (Clear)" in first
    names = sorted(reader.attachments)
    # PDF/A-3 associated files: the catalog lists them, each with its relationship.
    catalog = reader.root_object
    specs = catalog["/AF"]
    assert isinstance(specs, ArrayObject)
    relations = {str(spec.get_object()["/AFRelationship"]) for spec in specs}
    assert relations == {"/Source", "/Supplement"}
    assert "/OutputIntents" in catalog  # the sRGB intent PDF/A asks for
    assert any(name.endswith("certificat.json") for name in names)
    assert any(name.endswith("cle-publique-poste.pem") for name in names)
    embedded = json.loads(next(c for n, c in reader.attachments.items() if n.endswith(".json"))[0])
    assert embedded["facts"]["profile"] == "nist-clear-full"
    assert embedded["facts"]["source_device"]["asset_tag"] == "EPN-4242"
    assert len(embedded["envelopes"]) == 3  # disk seen, overwrite pass, verification

    checked = verify(tmp_path, certified["pdf"])
    assert checked.returncode == 0, checked.stderr
    assert (
        "valid certificate PDF: 1 certificate(s), 3 signed records, printed facts match"
        in checked.stdout
    )


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"operator": "op-7"', '"operator": "op-8"', "facts.operator differs"),
        ('"asset_tag": "EPN-4242"', '"asset_tag": "EPN-4243"', "facts.source_device.asset_tag"),
    ],
)
def test_tampered_embedded_data_is_refused(
    certified: dict[str, Any], tmp_path: Path, old: str, new: str, field: str
) -> None:
    data = certified["pdf"].read_bytes()
    assert data.count(old.encode()) >= 1  # the JSON is embedded as it is (not compressed)
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(data.replace(old.encode(), new.encode()))
    checked = verify(tmp_path, forged)
    assert checked.returncode == 8, checked.stdout
    assert field in checked.stderr


def test_a_tampered_signed_payload_is_refused(certified: dict[str, Any], tmp_path: Path) -> None:
    data = certified["pdf"].read_bytes()
    start = data.index(b'"payload": "') + len(b'"payload": "') + 40
    flipped = b"A" if data[start : start + 1] != b"A" else b"B"
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(data[:start] + flipped + data[start + 1 :])
    checked = verify(tmp_path, forged)
    assert checked.returncode == 8, checked.stdout
    assert "in certificate record 1: payload altered" in checked.stderr


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f: f.update(result="purged"), "printed result"),
        (lambda f: f["source_device"].update(asset_tag="EPN-0001"), "printed asset_tag"),
    ],
)
def test_a_reprinted_page_with_other_facts_is_refused(
    certified: dict[str, Any], tmp_path: Path, change: Any, field: str
) -> None:
    """A forger re-renders page 1 with other facts and keeps the genuine signed records."""
    with _journal(tmp_path) as journal:
        genuine = build_certificate(journal, certified["subject"])
    facts = json.loads(json.dumps(genuine.facts))
    change(facts)
    pdf = Document()
    render_certificate(pdf, dataclasses.replace(genuine, facts=facts), "fr")
    embed_evidence(pdf, genuine, "fr")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(bytes(pdf.output()))
    checked = verify(tmp_path, forged)
    assert checked.returncode == 8, checked.stdout
    assert field in checked.stderr


def test_one_document_and_one_csv_per_lot(make_loop: LoopFactory, tmp_path: Path) -> None:
    """Two disks of a lot (one tagged with a would-be spreadsheet formula), one outside
    it: the lot PDF has the summary and both certificates and verifies; the CSV opens in
    a French spreadsheet and runs no formula."""
    for tag, lot in (("EPN-0001", "L-2026-11"), ("=1+2", "L-2026-11"), ("EPN-0003", "L-OTHER")):
        device = make_loop(8 * MIB, direct_io=True)
        wiped = station(
            tmp_path, "wipe", device, "--profile", "nist-clear", "--asset-tag", tag, "--lot",
            lot, "--donor", "Département Exemple", "--operator", "op-7", "--yes",
        )  # fmt: skip
        assert wiped.returncode == 0, wiped.stderr
    (tmp_path / "bench.pem").write_bytes(
        (tmp_path / "data" / "keys" / "bench-ed25519.pub.pem").read_bytes()
    )
    lot_pdf, lot_csv = tmp_path / "lot.pdf", tmp_path / "lot.csv"
    made = station(
        tmp_path, "certificate", "--lot", "L-2026-11", "--out", str(lot_pdf), "--csv", str(lot_csv)
    )
    assert made.returncode == 0, made.stderr
    assert "summary of 2 disk(s)" in made.stdout
    pages = [page.extract_text() for page in PdfReader(lot_pdf).pages]
    assert "Récapitulatif des effacements — lot L-2026-11" in pages[0]
    assert "Donateur : Département Exemple" in pages[0]
    assert "EPN-0001" in pages[0] and "EPN-0003" not in "".join(pages)
    assert sum("Donateur et machine d'origine" in page for page in pages) == 2  # 2 page 1s
    checked = verify(tmp_path, lot_pdf)
    assert checked.returncode == 0, checked.stderr
    assert "2 certificate(s), 6 signed records" in checked.stdout

    raw = lot_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = [line.split(";") for line in raw.decode("utf-8-sig").splitlines()]
    assert rows[0][0] == "N° d'inventaire"
    assert [row[0] for row in rows[1:]] == ["EPN-0001", "'=1+2"]  # text, never a formula
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row[7]) for row in rows[1:])
    assert {row[6] for row in rows[1:]} == {"EFFACÉ (Clear)"}
