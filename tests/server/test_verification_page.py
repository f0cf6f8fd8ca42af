"""The page a certificate's QR code opens: the real server renders it from ingested
signed records, the QR is decoded from the printed PDF (pdftoppm + zbarimg) and the page
is read in headless Chromium, as a donor's phone or browser would. `/` is a page too."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import build_certificate
from station.reports.certificate_pdf import certificate_pdf
from tests.browser import dump_dom, screenshot
from tests.server.conftest import Api
from tests.server.test_daily_page import make_bench, push

pytestmark = pytest.mark.server
WORKSHOP = Path(__file__).resolve().parents[2] / "profiles" / "workshop" / "example.yaml"


def wipe(journal: Journal, serial: str, tag: str) -> None:
    disk = {"serial": serial, "wwn": "0x50014ee2b0000001", "model": "WDC WD5000AAKX-00ERMA0",
            "size_bytes": 500_107_862_016}  # fmt: skip
    started = datetime.now(UTC) - timedelta(seconds=5)
    journal.append_many(
        [
            sample_body("disk_seen", disk=disk, operator="op-7", created_at=started,
                        profile="nist-clear", asset_tag=tag, lot="L-42", donor="Département"),
            sample_body("overwrite_pass", disk=disk, operator="op-7", profile="nist-clear",
                        created_at=started, started_at=started, ended_at=started),
            sample_body("verification", disk=disk, operator="op-7", profile="nist-clear",
                        created_at=datetime.now(UTC), result="cleared"),
        ]
    )  # fmt: skip


def decode_qr(pdf: bytes, folder: Path) -> str:
    if shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None:
        pytest.skip("QR check needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)")
    (folder / "cert.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", "cert.pdf", "page"],
        cwd=folder, check=True, timeout=120,
    )  # fmt: skip
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(next(folder.glob("page*.png")))],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return found.stdout.strip()


@pytest.fixture
def certified(
    sqlite_api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, str]:
    """Two disks wiped on one bench, pushed to the server; the first one's QR URL."""
    monkeypatch.setenv("STATION_WORKSHOP", str(WORKSHOP))
    files = make_bench(tmp_path / "bench", "bench-q1")
    with files.open() as journal:
        wipe(journal, "WD-FIRST-1", "EPN-4242")
        wipe(journal, "WD-OTHER-2", "EPN-9999")
        certificate = build_certificate(journal, "WD-FIRST-1", inventory_url=sqlite_api.url)
    push(sqlite_api, files)
    url = decode_qr(certificate_pdf(certificate), tmp_path)
    return url, certificate.anchor_id, files.key.keyid


def test_the_qr_opens_the_french_verification_page(
    certified: tuple[str, str, str], tmp_path: Path
) -> None:
    url, anchor, keyid = certified
    assert url.split("?")[0].endswith(f"/verification/{anchor}")
    page = dump_dom(url)
    assert '<html lang="fr">' in page
    assert f"Certificat d'effacement n° {anchor[:16]}" in page
    assert 'class="status ok"' in page
    assert "3 enregistrement(s) signé(s) vérifié(s) avec la clé du poste bench-q1" in page
    assert "EPN-4242" in page and "WD-FIRST-1" in page and "nist-clear" in page
    assert "NIST SP 800-88 Rev. 2 — Clear" in page and "EFFACÉ (Clear)" in page
    assert "Atelier Solidaire du Numérique" in page and "123 456 789 00012" in page
    assert keyid in page
    # Only this certificate's facts: the bench's other disk is nowhere on the page.
    assert "WD-OTHER-2" not in page and "EPN-9999" not in page
    screenshot(url, tmp_path / "page.png")


def test_a_qr_naming_another_key_is_refused_on_the_page(
    certified: tuple[str, str, str], sqlite_api: Api
) -> None:
    url, _, keyid = certified
    forged = url.replace(keyid, "0" * 64)
    page = sqlite_api.get(forged.removeprefix(sqlite_api.url)).text
    assert 'class="status bad"' in page and "n'est pas celle du poste" in page


def test_a_revoked_bench_is_said(certified: tuple[str, str, str], sqlite_api: Api) -> None:
    url, _, _ = certified
    assert sqlite_api.admin("/v1/admin/benches/bench-q1/revoke").status_code == 200
    page = sqlite_api.get(url.removeprefix(sqlite_api.url)).text
    assert 'class="status bad"' in page and "révoquée" in page


def test_unknown_certificates_and_numbers(certified: tuple[str, str, str], sqlite_api: Api) -> None:
    _, anchor, _ = certified
    missing = sqlite_api.get(f"/verification/{'ab' * 32}")
    assert missing.status_code == 404 and "Certificat introuvable" in missing.text
    found = sqlite_api.get("/verification", params={"n": anchor[:16]}, allow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == f"/verification/{anchor}"
    short = sqlite_api.get("/verification", params={"n": "12ab"})
    assert short.status_code == 404 and "16 chiffres" in short.text


def test_home_page_instead_of_a_json_404(sqlite_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATION_WORKSHOP", str(WORKSHOP))
    answer = sqlite_api.get("/", anonymous=True)
    assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
    assert "Atelier Solidaire du Numérique" in answer.text
    # Without a session: the certificate check and the sign-in form, no link inward.
    assert 'action="/verification"' in answer.text and 'action="/login"' in answer.text
    assert 'href="/daily"' not in answer.text
    signed_in = sqlite_api.sign_in("home-reader", "lecture").get(sqlite_api.url + "/", timeout=30)
    assert 'href="/daily"' in signed_in.text and 'href="/lots"' in signed_in.text
