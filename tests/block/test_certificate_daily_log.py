"""The supervisor's daily log, the host summary and the labels, from real records: two
loop devices wiped by the real job (one completes, one is cancelled), a host inventory
parsed from a real machine's dmidecode, and a licence assignment, all in a real journal.
The sign-off is then contradicted by the chain (a record added later, a record deleted
from the database) and the log must say so."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from station.devices.hostinfo import host_from_dmi, parse_dmidecode, parse_power_supply_uevent
from station.domain.host import inventory_record
from station.domain.record import DiskRef, HostRef
from station.domain.results import Result
from station.domain.supervisor_secret import hash_secret
from station.jobs.profiles import load_wipe_profile
from station.jobs.wipe import WipeRequest, run_wipe
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.wording import PARIS
from tests.conftest import LoopFactory

pytestmark = pytest.mark.block
MIB = 1024 * 1024
BENCH = "bench-log"
HOST_SERIAL = "PF1TEST01"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "host"


def station(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "STATION_LANG")
    }
    return subprocess.run(
        [sys.executable, "-m", "station", *args, "--journal", str(tmp_path / "journal.sqlite3"),
         "--key-dir", str(tmp_path / "keys")],
        capture_output=True, text=True, timeout=300, input=stdin,
        env={**env, "LANG": "C.UTF-8", "STATION_BENCH_ID": BENCH, "STATION_INVENTORY_URL": ""},
    )  # fmt: skip


def bench_with_secret(tmp_path: Path, supervisor: str, secret: str) -> Path:
    """A bench profile where `supervisor` signs with `secret` (as `station supervisor add`
    writes it)."""
    path = tmp_path / "banc.yaml"
    path.write_text(
        f"name: {BENCH}\ntitle: {{fr: Banc, en: Bench}}\noperators: [op-7, op-9]\n"
        f"supervisors: [{supervisor}]\nsupervisor_secrets: {{{supervisor}: "
        f"'{hash_secret(secret)}'}}\n",
        encoding="utf-8",
    )
    return path


def today() -> str:
    return datetime.now(PARIS).strftime("%d/%m/%Y")


@pytest.fixture
def day_of_work(make_loop: LoopFactory, tmp_path: Path) -> Path:
    good = make_loop(16 * MIB, direct_io=True, name="good")
    cut = make_loop(16 * MIB, direct_io=True, name="cut")
    key = load_or_create_bench_key(tmp_path / "keys", bench_id=BENCH)
    facts = host_from_dmi(
        parse_dmidecode((FIXTURES / "dmidecode" / "notebook-lenovo-thinkpad-t480.txt").read_text())
    )
    battery = parse_power_supply_uevent(
        (FIXTURES / "power_supply" / "BAT0-uevent-lenovo-l14m4p23-charging.txt").read_text()
    )
    host = HostRef(
        manufacturer="LENOVO",
        product=facts.host.product,
        serial=HOST_SERIAL,
        asset_tag="RC-2026-0042",
    )  # the fixture's serial is masked by its uploader
    disks = [DiskRef(size_bytes=16 * MIB, path=device) for device in (good, cut)]
    facts = facts.model_copy(update={"host": host, "disks": disks, "batteries": [battery]})
    with Journal(tmp_path / "journal.sqlite3", key) as journal:
        journal.append(inventory_record(facts, "op-7", datetime.now(UTC)))
        done = run_wipe(
            WipeRequest(good, load_wipe_profile("nist-clear"), journal=journal, operator="op-7")
        )
        stop = threading.Event()
        stop.set()
        cancelled = run_wipe(
            WipeRequest(cut, load_wipe_profile("nist-clear"), journal=journal, operator="op-9"),
            cancel=stop,
        )
        journal.append(
            sample_body(
                "licence_assignment",
                host=host.model_dump(mode="json"),
                operator="op-7",
                created_at=datetime.now(UTC),
            )
        )
    assert done.result is Result.CLEARED
    assert cancelled.result is Result.FAILED
    return tmp_path


def read_french_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    text = raw.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_french_csv_from(made: subprocess.CompletedProcess[str], path: Path) -> list[list[str]]:
    assert made.returncode == 0, made.stderr
    return read_french_csv(path)


def test_daily_log_csv_pdf_and_sign_off(day_of_work: Path) -> None:
    tmp_path = day_of_work
    text = station(tmp_path, "daily-log", "--format", "text")
    assert text.returncode == 0, text.stderr
    assert "pas encore visé" in text.stdout

    made = station(tmp_path, "daily-log", "--date", today(), "--format", "csv",
                   "--out", str(tmp_path / "log.csv"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    rows = read_french_csv(tmp_path / "log.csv")
    header, lines = rows[0], [row for row in rows[1:] if len(row) == len(rows[0])]
    assert header[:5] == ["Date", "Poste", "Début", "Fin", "Durée (min)"]
    by_result = {row[header.index("Résultat")]: row for row in lines}
    # The cut disk was stopped on request: "arrêté", never "échec" (it did not fail).
    assert set(by_result) >= {"effacé", "arrêté"} and "échec" not in by_result
    good, failed = by_result["effacé"], by_result["arrêté"]
    assert good[0] == today() and good[1] == BENCH
    assert datetime.strptime(good[2], "%d/%m/%Y %H:%M")  # dd/mm/yyyy for LibreOffice
    assert "," in good[4] or good[4].isdigit()  # decimal comma, never a point
    assert "." not in good[4]
    assert "LENOVO ThinkPad T480" in good[header.index("Machine")]
    assert good[header.index("Opérateur")] == "op-7"
    assert failed[header.index("Opérateur")] == "op-9"
    assert "arrêtée à la demande" in failed[header.index("Échecs et raisons")]  # and why
    licence = next(row for row in lines if row[header.index("Licences (empreinte)")])
    assert "windows-10-pro: sha256" in licence[header.index("Licences (empreinte)")]
    assert int(good[header.index("Non synchronisés")]) > 0

    bench = str(bench_with_secret(tmp_path, "sup-2", "7391"))
    signed = station(tmp_path, "sign-off", "--date", today(), "--supervisor", "sup-2",
                     "--bench-profile", bench, "--secret-stdin", "--comment", "RAS, lot propre",
                     stdin="7391\n")  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    pdf = station(tmp_path, "daily-log", "--format", "pdf", "--out", str(tmp_path / "log.pdf"))
    assert pdf.returncode == 0, pdf.stderr
    content = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "log.pdf").pages)
    assert "Journal du jour" in content and "sup-2, approuvé" in content
    assert "Commentaire : RAS, lot propre" in content
    assert "ÉCART" not in content
    text = station(tmp_path, "daily-log", "--format", "text")
    assert "Commentaire : RAS, lot propre" in text.stdout
    made_csv = station(tmp_path, "daily-log", "--format", "csv", "--out", str(tmp_path / "c.csv"))
    flat = [cell for row in read_french_csv_from(made_csv, tmp_path / "c.csv") for cell in row]
    assert "RAS, lot propre" in flat

    # A second sign-off of the same day says which one it replaces.
    again = station(tmp_path, "sign-off", "--date", today(), "--supervisor", "sup-2",
                    "--bench-profile", bench, "--secret-stdin", "--reject",
                    stdin="7391\n")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "replaces the sign-off by sup-2" in again.stderr
    assert "approved" in again.stderr
    text = station(tmp_path, "daily-log", "--format", "text")
    assert "sup-2, refusé" in text.stdout
    assert "remplace le visa de sup-2" in text.stdout

    # The chain now contradicts the sign-off: one record added for the same day...
    key = load_or_create_bench_key(tmp_path / "keys", bench_id=BENCH)
    with Journal(tmp_path / "journal.sqlite3", key) as journal:
        journal.append(sample_body("self_test", operator="op-7", created_at=datetime.now(UTC)))
    later = station(tmp_path, "daily-log", "--format", "pdf", "--out", str(tmp_path / "l2.pdf"))
    assert later.returncode == 1
    content = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "l2.pdf").pages)
    assert "ÉCART : 1 enregistrement(s) ajouté(s) après le visa" in content

    # ... and one signed-off record deleted behind the journal's back.
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("DELETE FROM outbox WHERE seq = 2")
        db.execute("DELETE FROM records WHERE seq = 2")
    gone = station(tmp_path, "daily-log", "--format", "csv", "--out", str(tmp_path / "l3.csv"))
    assert gone.returncode == 1
    flat = [cell for row in read_french_csv(tmp_path / "l3.csv") for cell in row]
    assert any("1 enregistrement(s) visé(s) manquant(s) (seq 2)" in cell for cell in flat)


def test_host_summary_and_labels(day_of_work: Path) -> None:
    tmp_path = day_of_work
    made = station(tmp_path, "certificate", "--host", HOST_SERIAL, "--out",
                   str(tmp_path / "host.pdf"))  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "summary of 2 disk(s)" in made.stdout
    content = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "host.pdf").pages)
    assert "Récapitulatif des effacements" in content
    assert content.count("Certificat d'effacement des données") >= 2
    assert "EFFACÉ (Clear)" in content
    # The cut disk was stopped on request: not erased, and not a failure either.
    assert "ARRÊTÉ sur demande" in content and "ÉCHEC" not in content
    assert "RC-2026-0042" in content  # the source machine's asset number

    batch = station(tmp_path, "certificate", "--batch-day", today(), "--lang", "en",
                    "--out", str(tmp_path / "batch.pdf"))  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    assert "Erasure summary" in PdfReader(tmp_path / "batch.pdf").pages[0].extract_text()

    for size in ("62x29", "70x37", "100x50"):
        label = station(tmp_path, "label", HOST_SERIAL, "--size", size, "--grade", "B",
                        "--out", str(tmp_path / f"label-{size}.pdf"))  # fmt: skip
        assert label.returncode == 0, label.stderr
        page = PdfReader(tmp_path / f"label-{size}.pdf").pages[0]
        words = page.extract_text()
        assert "RC-2026-0042" in words and f"S/N {HOST_SERIAL}" in words and "Note B" in words
    missing = station(tmp_path, "label", "NOPE", "--out", str(tmp_path / "x.pdf"))
    assert missing.returncode == 2
    assert "no host inventory for serial or asset tag 'NOPE'" in missing.stderr
