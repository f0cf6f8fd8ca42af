"""The functional tests as people read them, from a real journal: the fiche de
reconditionnement (tests + the erasure of the same machine's disk) in PDF, the grade and
defects on the label, skipped tests in the supervisor's daily log, `station fiche`."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from station.cli import main
from station.domain.function_tests import TEST_NAMES
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import all_records
from station.reports.daily_log import build_daily_log
from station.reports.daily_log_render import daily_log_text
from station.reports.fiche import conclusion, fiche_of, fiche_pdf
from station.reports.host_labels import host_label
from station.reports.labels import STOCKS, labels_pdf

SERIAL = "PF0ABCDE"  # the sample host's firmware serial


def function_test(name: str, status: str = "passed", **said: object) -> dict[str, object]:
    return sample_body("function_test", test=name, status=status, judged_by="operator",
                       measured={}, tool=None, **said)  # fmt: skip


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """One machine's day: its disk erased (Clear, verified), its functions tested with a
    skip and a defect, its grade."""
    with open_journal(tmp_path) as journal:
        for kind in ("disk_seen", "smart_assessment", "overwrite_pass", "verification"):
            journal.append(sample_body(kind))
        journal.append(sample_body("host_inventory"))
        journal.append(function_test("keyboard"))
        journal.append(
            function_test("camera", "not_tested", reason="pas de caméra sur ce modèle ?")
        )
        journal.append(function_test("case", "failed", observed="coque fendue"))
        journal.append(
            sample_body("grade", grade="C", label={"fr": "Correct", "en": "Fair"}, computed="C",
                        defects=["Charnières et coque : coque fendue"],
                        reasons=[{"fr": "au plus C : un test essentiel n'a pas été fait",
                                  "en": "at most C: an essential test was not done"}])
        )  # fmt: skip
    return tmp_path


def open_journal(folder: Path) -> Journal:
    key = load_or_create_bench_key(folder / "keys", bench_id="bench-fiche")
    return Journal(folder / "journal.sqlite3", key)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def test_the_fiche_shows_the_tests_and_the_erasure_of_the_same_machine(
    journal_path: Path,
) -> None:
    with open_journal(journal_path) as journal:
        fiche = fiche_of(journal, SERIAL.lower())
    assert set(fiche.tests) == {"keyboard", "camera", "case"}
    assert fiche.grade is not None and fiche.grade["grade"] == "C"
    (erasure,) = fiche.erasures
    assert (erasure.serial, erasure.result) == ("WD-WCC4N0000001", "cleared")
    data = fiche_pdf(fiche)
    assert len(PdfReader(BytesIO(data)).pages) == 1  # one page
    text = pdf_text(data)
    for said in (
        "Fiche de reconditionnement", "PF0ABCDE", "Clavier", "OK", "coque fendue",
        "pas de caméra sur ce modèle ?", "aucun enregistrement", "C — Correct",
        "Effacement des données", "WD-WCC4N0000001", "EFFACÉ (Clear)",
        "ne permet pas d'employer la mention « reconditionné »",
    ):  # fmt: skip
        assert said in text, said


def test_a_machine_without_records_has_no_fiche_and_says_so(journal_path: Path) -> None:
    with open_journal(journal_path) as journal, pytest.raises(Exception, match="NOPE"):
        fiche_of(journal, "NOPE")


def test_the_label_carries_the_recorded_grade_and_the_defects(journal_path: Path) -> None:
    with open_journal(journal_path) as journal:
        label = host_label(all_records(journal), SERIAL, None)
    assert label is not None
    assert (label.grade, label.defects) == ("C", ("Charnières et coque",))
    text = pdf_text(labels_pdf([label], STOCKS["62x29"]))
    assert "Note C" in text and "Charnières et coque" in text


def test_the_daily_log_shows_skipped_and_failed_tests_without_counting_failures(
    journal_path: Path,
) -> None:
    with open_journal(journal_path) as journal:
        bodies = [r.body() for r in all_records(journal)]
    log = build_daily_log("bench-fiche", date(2026, 11, 22), bodies)
    text = daily_log_text(log, "fr")
    assert "- test Caméra non fait : pas de caméra sur ce modèle ?" in text
    assert "- test Charnières et coque : défaut (coque fendue)" in text
    assert "test de fonctionnement" in text and log.failures == 0


def test_station_fiche_writes_the_pdf(
    journal_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATION_BENCH_ID", "bench-fiche")
    out = journal_path / "fiche.pdf"
    code = main([
        "fiche", SERIAL, "--out", str(out), "--journal", str(journal_path / "journal.sqlite3"),
        "--key-dir", str(journal_path / "keys"),
    ])  # fmt: skip
    assert code == 0 and "3 test(s), 1 disk(s)" in capsys.readouterr().out
    assert "CLEARED" in pdf_text(out.read_bytes())  # the command line speaks English here


def test_the_conclusion_supports_the_word_only_when_everything_was_done(
    journal_path: Path,
) -> None:
    with open_journal(journal_path) as journal:
        fiche = fiche_of(journal, SERIAL)
    said = conclusion(fiche)
    assert said.startswith("Cette fiche ne permet pas")
    assert "fonctions non testées : Écran, Batterie" in said and "Caméra" in said
    assert "Clavier" not in said and "Charnières" not in said  # tested, even with a defect
    fiche.tests = {name: {"status": "passed"} for name in TEST_NAMES}
    fiche.tests["camera"] = {"status": "not_present"}
    assert "appuie la mention « reconditionné »" in conclusion(fiche)
    fiche.erasures[0].result = "failed"
    assert conclusion(fiche).endswith("suppression non établie : WD-WCC4N0000001.")
