"""The partners' reports (issue 18): the donor report of a lot and the funder report of a
period, PDF (read back with pypdf) and CSV, with figures equal to the signed records and
the recorded destinations; the CO2e line only with a configured factor and its source;
the fiche de reconditionnement says what is and is not established."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from station.domain.function_tests import TEST_NAMES
from station.inventory.settings import Co2Factor
from station.journal.samples import sample_body
from tests.server.bench_journal import BenchFiles
from tests.server.conftest import Api, start_server
from tests.server.test_back_office import LOT, machine_records, supervisor, sync_bench
from tests.server.web_forms import Browserless

pytestmark = pytest.mark.server
FACTOR = Co2Factor(
    123.5, "facteur de test (ce test n'est pas une source : il vérifie le calcul)", "01/12/2026"
)
TODAY = date.today().isoformat()
# The period around today: records are dated in Paris time, the test machine's day may differ.
PERIOD = f"du={date.today() - timedelta(days=1)}&au={date.today() + timedelta(days=1)}"


@pytest.fixture
def factor_api(sqlite_url: str) -> Iterator[Api]:
    handle = start_server(sqlite_url, co2e=FACTOR)
    yield Api(handle.url, sqlite_url)
    handle.stop()


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[ \u202f\u00a0]+", " ", text)


def workshop_with_three_laptops(api: Api, root: Path) -> Browserless:
    """TOT-0001 erased and given to a school, TOT-0002 failed its erasure and is recycled,
    TOT-0003 erased, still at the workshop."""
    claire = supervisor(api)
    assert claire.post("/lots", LOT).status_code == 303
    bodies = (machine_records("TOT-0001", "S1") + machine_records("TOT-0002", "S2", "failed")
              + machine_records("TOT-0003", "S3"))  # fmt: skip
    sync_bench(api, BenchFiles(root / "bench"), bodies)
    school = {"kind": "ecole", "organisation": "École Jules Ferry", "referrer": "",
              "given_on": TODAY}  # fmt: skip
    recycling = {"kind": "recyclage", "organisation": "Envie 44", "referrer": "",
                 "given_on": TODAY}  # fmt: skip
    assert claire.post("/machines/TOT-0001/destination", school).status_code == 303
    assert claire.post("/machines/TOT-0002/destination", recycling).status_code == 303
    return claire


def download(person: Browserless, path: str, media: str) -> bytes:
    answer = person.session.get(person.url + path, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith(media)
    assert "attachment" in answer.headers["content-disposition"]
    return answer.content


def test_the_donor_report_matches_the_records(sqlite_api: Api, tmp_path: Path) -> None:
    claire = workshop_with_three_laptops(sqlite_api, tmp_path)
    text = pdf_text(download(claire, "/rapports/donateur/LOT-TOT-01.pdf", "application/pdf"))
    assert "Raffinerie de Donges" in text and "20/11/2026" in text
    expected = (("Machines reçues", "3"), ("Machines effacées", "2"),
                ("Certificats d'effacement", "3, dont 1 constatant un échec"),
                ("Machines réemployées", "1"), ("Machines recyclées", "1"),
                ("Encore à l'atelier", "1"), ("École", "1"), ("Recyclage", "1"))  # fmt: skip
    for label, value in expected:
        assert re.search(rf"{re.escape(label)} {re.escape(value)}(?!\d)", text), (label, text)
    assert "École : École Jules Ferry" in text and "S2 : échec" in text
    numbers = re.findall(r"\b[0-9a-f]{16}\b", text)
    assert len(numbers) == 3  # one certificate per disk session, the failed one's too
    csv = download(claire, "/rapports/donateur/LOT-TOT-01.csv", "text/csv").decode("utf-8-sig")
    rows = [line.split(";") for line in csv.strip().split("\r\n")]
    assert [row[0] for row in rows[1:]] == ["TOT-0001", "TOT-0002", "TOT-0003"]
    assert rows[3][5] == "en stock" and rows[1][4] in numbers


def test_without_a_factor_the_funder_report_says_no_co2e_is_computed(
    sqlite_api: Api, tmp_path: Path
) -> None:
    claire = workshop_with_three_laptops(sqlite_api, tmp_path)
    page = html.unescape(claire.page(f"/rapports?{PERIOD}"))
    assert "aucun facteur d'émission n'est configuré" in page and "kg CO2e" not in page
    text = pdf_text(download(claire, f"/rapports/financeurs.pdf?{PERIOD}",
                             "application/pdf"))  # fmt: skip
    assert "Appareils reconditionnés 2" in text and "Appareils réemployés 1" in text
    assert "dont École 1" in text and "Appareils recyclés 1" in text
    assert "Non calculé : aucun facteur" in text and "kg CO2e" not in text


def test_with_a_factor_the_co2e_is_printed_with_its_source_and_date(
    factor_api: Api, tmp_path: Path
) -> None:
    claire = workshop_with_three_laptops(factor_api, tmp_path)
    text = pdf_text(download(claire, f"/rapports/financeurs.pdf?{PERIOD}",
                             "application/pdf"))  # fmt: skip
    # One device reused (the recycled one does not count) x 123.5 kg.
    assert "123,5 kg CO2e = 1 appareil(s) réemployé(s) × 123,5 kg CO2e par appareil" in text
    assert "facteur de test" in text and "01/12/2026" in text
    csv = download(claire, f"/rapports/financeurs.csv?{PERIOD}", "text/csv")
    assert "123,5 kg CO2e" in csv.decode("utf-8-sig")
    # Another period holds none of it.
    before = claire.page("/rapports?du=2020-01-01&au=2020-12-31")
    assert re.search(r"reconditionnés</th><td class=\"num\">0<", before)


def test_the_fiche_de_reconditionnement_states_what_is_established(
    sqlite_api: Api, tmp_path: Path
) -> None:
    claire = workshop_with_three_laptops(sqlite_api, tmp_path)
    text = pdf_text(download(claire, "/machines/TOT-0001/fiche.pdf", "application/pdf"))
    assert "2022-190" in text and "Disque S1 purgé (Purge), certificat n°" in text
    assert "Toutes les données des disques ont été supprimées" in text
    assert "ne permet pas d'employer la mention « reconditionné »" in text
    failed = pdf_text(download(claire, "/machines/TOT-0002/fiche.pdf", "application/pdf"))
    assert "n'est pas établie pour tous les disques" in failed


def test_a_bad_period_is_explained(sqlite_api: Api) -> None:
    claire = supervisor(sqlite_api)
    page = claire.page("/rapports?du=2026-12-31&au=2026-01-01", status=422)
    assert "la première date est après la seconde" in page


def test_the_fiche_lists_the_bench_functional_tests_and_grade(
    sqlite_api: Api, tmp_path: Path
) -> None:
    """The bench's function_test and grade records reach the server's fiche (issue 19):
    every function with a result and the data removed: the mention is supported."""
    claire = supervisor(sqlite_api)
    host = {"manufacturer": "LENOVO", "product": "20HES0JQ00", "serial": "PF-S9", "uuid": None}
    tests = [
        sample_body("function_test", host=host, test=name, judged_by="automatic",
                    status="not_present" if name == "camera" else "passed", measured={})
        for name in TEST_NAMES
    ]  # fmt: skip
    tests[1] = sample_body("function_test", host=host, test="screen", status="failed",
                           judged_by="operator", observed="pixel mort", measured={})  # fmt: skip
    grade = sample_body("grade", host=host, grade="C", computed="C",
                        label={"fr": "Correct", "en": "Fair"})  # fmt: skip
    sync_bench(sqlite_api, BenchFiles(tmp_path / "bench"),
               [*machine_records("TOT-0009", "S9"), *tests, grade])  # fmt: skip
    text = pdf_text(download(claire, "/machines/TOT-0009/fiche.pdf", "application/pdf"))
    assert "Écran défaut — pixel mort" in text and "Caméra absent" in text, text
    flat = " ".join(text.split())
    assert "Note C — Correct" in flat
    assert "cette fiche permet d'employer la mention « reconditionné »" in flat
    # The machine's page says the same, each result linked to its signed record.
    page = claire.page("/machines/TOT-0009")
    assert "Écran</th><td>défaut — pixel mort" in page, page
    assert "Caméra</th><td>absent" in page
    assert "C — Correct" in page and "/v1/records/" in page
    assert "Aucun test de fonctionnement" not in page
