"""Certificates of erasure made from real records: a loop device wiped by the real job,
its records appended to a real journal with a real bench key, then the certificate read
back from the PDF (text and QR) and checked with `station verify`, as an auditor would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from station.domain.results import Result
from station.jobs.profiles import load_wipe_profile
from station.jobs.wipe import WipeRequest, run_wipe
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal
from tests.conftest import LoopFactory

pytestmark = pytest.mark.block
MIB = 1024 * 1024
BENCH = "bench-cert"


def station(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STATION_BENCH_ID": BENCH}
    return subprocess.run(
        [sys.executable, "-m", "station", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture
def wiped(make_loop: LoopFactory, tmp_path: Path) -> dict[str, object]:
    """A loop device wiped with nist-clear; the journal holds its signed records."""
    device = make_loop(16 * MIB, direct_io=True)
    key = load_or_create_bench_key(tmp_path / "keys", bench_id=BENCH)
    with Journal(tmp_path / "journal.sqlite3", key) as journal:
        report = run_wipe(
            WipeRequest(device, load_wipe_profile("nist-clear"), journal=journal, operator="op-7")
        )
        chain = journal.export_chain()
        last = journal.tip()
    assert report.result is Result.CLEARED, report.reasons
    assert last is not None and last.kind == "verification"
    (tmp_path / "chain.json").write_text(json.dumps(chain))
    return {"record_id": last.record_id, "pub": str(tmp_path / "keys" / "bench-ed25519.pub.pem")}


def make_certificate(
    tmp_path: Path, record_id: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return station(
        "certificate",
        record_id,
        "--journal",
        str(tmp_path / "journal.sqlite3"),
        "--key-dir",
        str(tmp_path / "keys"),
        "--out",
        str(tmp_path / "cert.pdf"),
        "--json",
        str(tmp_path / "cert.json"),
        "--server",
        "http://inventory.example:8080",
        *extra,
    )


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def decode_qr(pdf: Path, tmp_path: Path) -> str:
    if shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None:
        pytest.skip("QR check needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    page = next(tmp_path.glob("page*.png"))
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sbinary", str(page)],
        capture_output=True,
        text=True,
        check=True,
    )
    return found.stdout.strip()


def test_certificate_pdf_json_and_qr_verify_offline(
    wiped: dict[str, object], tmp_path: Path
) -> None:
    record_id = str(wiped["record_id"])
    made = make_certificate(tmp_path, record_id)
    assert made.returncode == 0, made.stderr
    assert "result: cleared" in made.stdout

    text = pdf_text(tmp_path / "cert.pdf")
    assert "Certificat d'effacement des données" in text
    assert "EFFACÉ (Clear)" in text
    assert "non enregistré" in text  # a loop device has no serial: said, not invented
    assert "nist-clear" in text and "op-7" in text and "bench-cert" in text
    assert "NIST SP 800-88 Rev. 2 — Clear" in text
    assert "tranche de 1 %" not in text  # no chart of unflushed per-slice timings
    assert record_id in text

    certificate = json.loads((tmp_path / "cert.json").read_text())
    assert certificate["facts"]["result"] == "cleared"
    assert certificate["facts"]["disk"]["serial"] is None
    assert len(certificate["envelopes"]) == 3
    assert certificate["record_ids"][-1] == record_id
    mode = certificate["facts"]["verification"]["mode"]
    assert {"full": "relecture complète", "sampled": "relecture par échantillons"}[mode] in text

    payload = decode_qr(tmp_path / "cert.pdf", tmp_path)
    assert payload == certificate["qr"]
    assert payload.startswith(f"http://inventory.example:8080/verification/{record_id}?")
    (tmp_path / "qr.txt").write_text(payload + "\n")

    pub = str(wiped["pub"])
    checked = station("verify", str(tmp_path / "cert.json"), "--key", pub)
    assert checked.returncode == 0, checked.stderr
    assert "valid certificate: 3 signed records" in checked.stdout
    # The scanned QR, checked against the bench's exported chain: no certificate needed.
    against_chain = station(
        "verify", str(tmp_path / "chain.json"), "--key", pub, "--qr", str(tmp_path / "qr.txt")
    )
    assert against_chain.returncode == 0, against_chain.stderr
    assert "valid QR payload: it names 1 of these signed records" in against_chain.stdout


def test_english_certificate(wiped: dict[str, object], tmp_path: Path) -> None:
    made = make_certificate(tmp_path, str(wiped["record_id"]), "--lang", "en")
    assert made.returncode == 0, made.stderr
    text = pdf_text(tmp_path / "cert.pdf")
    assert "Certificate of data erasure" in text and "CLEARED" in text
    assert "not recorded" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["facts"].update(result="purged"), "facts.result differs"),
        (lambda c: c["facts"]["disk"].update(serial="WD-FAKE"), "facts.disk.serial differs"),
        (lambda c: c["facts"]["verification"].update(coverage_percent=100.0), "coverage"),
        (lambda c: c["envelopes"].pop(1), "record_ids do not match"),
        (lambda c: c.update(qr=c["qr"].replace(c["record_ids"][-1], "0" * 64)), "QR payload"),
        (
            lambda c: c["envelopes"][2].update(payload=c["envelopes"][1]["payload"]),
            "bad signature",
        ),
    ],
)
def test_a_tampered_certificate_is_refused(
    wiped: dict[str, object], tmp_path: Path, change: object, message: str
) -> None:
    assert make_certificate(tmp_path, str(wiped["record_id"])).returncode == 0
    certificate = json.loads((tmp_path / "cert.json").read_text())
    change(certificate)  # type: ignore[operator]
    (tmp_path / "tampered.json").write_text(json.dumps(certificate))
    checked = station("verify", str(tmp_path / "tampered.json"), "--key", str(wiped["pub"]))
    assert checked.returncode == 8, checked.stdout
    assert message in checked.stderr


def test_a_qr_naming_a_record_not_in_the_chain_is_refused(
    wiped: dict[str, object], tmp_path: Path
) -> None:
    assert make_certificate(tmp_path, str(wiped["record_id"])).returncode == 0
    payload = json.loads((tmp_path / "cert.json").read_text())["qr"]
    forged = payload.replace(str(wiped["record_id"]), "f" * 64)
    (tmp_path / "qr.txt").write_text(forged)
    checked = station(
        "verify",
        str(tmp_path / "chain.json"),
        "--key",
        str(wiped["pub"]),
        "--qr",
        str(tmp_path / "qr.txt"),
    )
    assert checked.returncode == 8
    assert "not among the verified records" in checked.stderr


def test_unknown_disk_is_a_clear_usage_error(wiped: dict[str, object], tmp_path: Path) -> None:
    made = make_certificate(tmp_path, "NO-SUCH-SERIAL")
    assert made.returncode == 2
    assert "no record of a disk with serial or WWN 'NO-SUCH-SERIAL'" in made.stderr
    assert not (tmp_path / "cert.pdf").exists()
