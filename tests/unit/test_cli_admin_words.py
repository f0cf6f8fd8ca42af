"""`station image` and `station host` speak the bench's language: what a master means
for keys, what the machine is. French on a French machine, English otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.cli.image import _print_windows
from station.cli.lang import cli_language, set_cli_language
from station.domain.image_profile import WindowsMaster

SEALED = WindowsMaster(
    product_name="Windows 10 Pro",
    edition_id="Professional",
    image_state="IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE",
    key_channel="Retail",
    nt_version="10.0",
)
INSTALLED = SEALED.model_copy(update={"image_state": "IMAGE_STATE_COMPLETE"})


@pytest.fixture
def lang() -> Iterator[None]:
    before = cli_language()
    yield
    set_cli_language(before)


@pytest.mark.usefixtures("lang")
def test_a_french_supervisor_reads_what_the_master_means(
    capsys: pytest.CaptureFixture[str],
) -> None:
    set_cli_language("fr")
    _print_windows(SEALED)
    _print_windows(INSTALLED)
    _print_windows(None)
    said = capsys.readouterr()
    assert 'edition_id: "Professional"' in said.out  # the profile lines stay as they are
    assert "généralisé : une clé du stock sera appliquée au premier démarrage" in said.err
    assert "NON généralisé : les déploiements avec une clé du stock seront refusés" in said.err
    assert "Windows 10.0 : installé avec une clé Retail" in said.err
    assert "aucun registre Windows trouvé" in said.err
    assert "generalized" not in said.err


@pytest.mark.usefixtures("lang")
def test_english_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    set_cli_language("en")
    _print_windows(INSTALLED)
    assert "NOT generalized: key-pool deploys will be refused" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("lang", "words", "not_words"),
    [
        ("fr_FR.UTF-8", ("processeur", "mémoire", "licence constructeur (MSDM)"), ("cpu:",)),
        ("C.UTF-8", ("cpu:", "ram:", "OEM licence (MSDM)"), ("processeur",)),
    ],
)
def test_station_host_speaks_the_machines_language(
    tmp_path: Path, lang: str, words: tuple[str, ...], not_words: tuple[str, ...]
) -> None:
    env = {**os.environ, "LANG": lang, "LC_ALL": "", "STATION_DATA_DIR": str(tmp_path)}
    env.pop("LANGUAGE", None)
    done = subprocess.run(
        [sys.executable, "-m", "station", "host"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    for word in words:
        assert word in done.stdout, done.stdout
    for word in not_words:
        assert word not in done.stdout, done.stdout
