"""The bench key: created once, private, stable across restarts, exportable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from station.errors import ConfigError, JournalError
from station.journal.keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    load_or_create_bench_key,
    load_public_key,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_start_creates_a_private_key(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "keys"
    key = load_or_create_bench_key(folder)
    assert mode(folder) == 0o700
    assert mode(folder / PRIVATE_KEY_FILE) == 0o600
    assert (folder / PRIVATE_KEY_FILE).read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert key.bench_id == "bench-" + key.keyid[:12]
    assert len(key.keyid) == 64
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_the_same_key_comes_back_after_a_restart(tmp_path: Path) -> None:
    first = load_or_create_bench_key(tmp_path)
    second = load_or_create_bench_key(tmp_path)
    assert first.keyid == second.keyid
    assert first.public_pem() == (tmp_path / PUBLIC_KEY_FILE).read_text()


def test_public_key_exports_for_enrolment(tmp_path: Path) -> None:
    key = load_or_create_bench_key(tmp_path / "keys")
    exported = tmp_path / "bench.pub.pem"
    exported.write_text(key.public_pem())
    assert load_public_key(exported).public_bytes_raw() == key.public_key.public_bytes_raw()


def test_bench_id_can_be_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_or_create_bench_key(tmp_path, bench_id="atelier-3").bench_id == "atelier-3"
    monkeypatch.setenv("STATION_BENCH_ID", "atelier-4")
    assert load_or_create_bench_key(tmp_path).bench_id == "atelier-4"


def test_permissions_that_are_too_open_are_tightened(tmp_path: Path) -> None:
    load_or_create_bench_key(tmp_path)
    (tmp_path / PRIVATE_KEY_FILE).chmod(0o644)
    load_or_create_bench_key(tmp_path)
    assert mode(tmp_path / PRIVATE_KEY_FILE) == 0o600


def test_a_damaged_key_is_a_journal_error(tmp_path: Path) -> None:
    (tmp_path / PRIVATE_KEY_FILE).write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n")
    with pytest.raises(JournalError, match="is damaged"):
        load_or_create_bench_key(tmp_path)


def test_a_bad_public_key_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read public key"):
        load_public_key(tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(ConfigError, match="is not a PEM public key"):
        load_public_key(tmp_path / "junk.pem")


def test_a_missing_public_key_file_is_written_again(tmp_path: Path) -> None:
    key = load_or_create_bench_key(tmp_path)
    (tmp_path / PUBLIC_KEY_FILE).unlink()
    load_or_create_bench_key(tmp_path)
    assert (tmp_path / PUBLIC_KEY_FILE).read_text() == key.public_pem()


def test_a_key_folder_gone_with_the_stick_is_explained_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The stick pulled: the key's folder cannot be read (here: a file where the data
    folder was, ENOTDIR; on the bench EIO). A French bench says what to do, in French."""
    from station.cli import main

    gone = tmp_path / "station-data"
    gone.write_text("not a folder")
    with pytest.raises(JournalError) as caught:
        load_or_create_bench_key(gone / "keys")
    assert "Remettez-la" in caught.value.one_line_in("fr")
    assert caught.value.one_line_in("en").startswith("cannot read or create the bench key")
    monkeypatch.setenv("STATION_LANG", "fr")
    code = main(["enrol", "--server", "http://127.0.0.1:9", "--key-dir", str(gone / "keys")])
    assert code == JournalError.exit_code
    err = capsys.readouterr().err
    assert "la clé Station a-t-elle été retirée ? Remettez-la" in err, err
