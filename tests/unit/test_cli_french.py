"""The command line speaks French on a French bench (issue 15): wipe, smart, verify,
journal and sync lines follow `--lang fr` / LANG=fr_FR.UTF-8, English stays English."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from station.cli import main
from station.cli.lang import set_cli_language
from station.cli.wipe import _summary
from station.devices.runner import SubprocessRunner
from station.jobs.profiles import load_wipe_profile
from station.jobs.sanitize import run_sanitize
from station.jobs.wipe import WipeRequest
from tests.wipe_helpers import MIB, random_disk

DEVICES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


@pytest.fixture(autouse=True)
def _english_after(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    yield
    set_cli_language("en")


def test_wipe_summary_in_french(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    disk = random_disk(tmp_path, 16 * MIB)
    assert main(["--lang", "fr", "wipe", str(disk), "--profile", "nist-clear", "--yes"]) == 0
    err = capsys.readouterr().err
    assert "disque : " in err and "profil : nist-clear" in err
    assert "résultat : effacé" in err
    assert "vérification : complète, 100.0 % relu" in err  # 16 MiB: read whole
    assert "journal : 3 enregistrements signés" in err
    assert "result:" not in err and "verification:" not in err


def test_wipe_summary_stays_english_in_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    disk = random_disk(tmp_path, 16 * MIB)
    assert main(["--lang", "en", "wipe", str(disk), "--profile", "nist-clear", "--yes"]) == 0
    err = capsys.readouterr().err
    assert "result: cleared" in err and "résultat" not in err


def test_smart_verdict_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    saved = DEVICES / "ata-hdd-healthy-wd20efrx" / "smartctl-x.txt"
    assert main(["--lang", "fr", "smart", "--from", str(saved), "--lang", "fr"]) == 0
    assert " : bon (PASS)" in capsys.readouterr().out


def test_journal_chain_verified_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    disk = random_disk(tmp_path, 16 * MIB)
    assert main(["wipe", str(disk), "--profile", "nist-clear", "--yes"]) == 0
    chain = tmp_path / "chain.json"
    assert main(["journal", "export", str(chain)]) == 0
    assert main(["journal", "key"]) == 0
    pem = tmp_path / "bench.pem"
    pem.write_text(capsys.readouterr().out.split("exported")[-1].split("\n", 1)[-1])
    assert main(["--lang", "fr", "verify", str(chain), "--key", str(pem)]) == 0
    assert "chaîne valide : 3 enregistrements" in capsys.readouterr().out


def test_a_stopped_wipe_gives_its_notes_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The erase job's own notes (English in the JSON report) in the bench's words."""
    disk = random_disk(tmp_path, 16 * MIB)
    stop = threading.Event()
    stop.set()  # stopped before the first block: a real cancelled wipe
    request = WipeRequest(str(disk), load_wipe_profile("nist-clear"))
    outcome = run_sanitize(request, SubprocessRunner(), cancel=stop)
    assert "cancelled by the operator before the end" in outcome.reasons
    set_cli_language("fr")
    _summary(outcome)
    err = capsys.readouterr().err
    assert "  - Arrêté par l'opérateur avant la fin." in err
    assert "  - Le contrôle n'est pas fini." in err
    assert "cancelled" not in err and "verification did not" not in err
    set_cli_language("en")
    _summary(outcome)
    assert "  - cancelled by the operator before the end" in capsys.readouterr().err
