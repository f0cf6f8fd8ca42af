"""The technical log, a crash's traceback in it, and `station support` (issue 12)."""

from __future__ import annotations

import json
import logging
import os
import tarfile
import threading
from pathlib import Path

import pytest

from station.applog import LOG_NAME, configure_logging, log_dir, reopen_log_file
from station.cli import EXIT_CRASH, main
from station.devices.runner import SubprocessRunner
from station.devices.safety import TargetInspection
from station.jobs.bench_sequence import SequenceRequest, run_sequence
from station.jobs.profiles import load_wipe_profile


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("STATION_DATA_DIR", str(folder))
    return folder


def _log_text(data: Path) -> str:
    for handler in logging.getLogger("station").handlers:
        handler.flush()
    return (data / "logs" / LOG_NAME).read_text(encoding="utf-8")


def test_the_log_goes_to_a_file_in_the_data_folder_never_the_terminal(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = configure_logging()
    assert path == log_dir() / LOG_NAME and path.parent == data / "logs"
    logging.getLogger("station.jobs.test").info("a decision with its reason")
    assert "a decision with its reason" in _log_text(data)
    captured = capsys.readouterr()
    assert "a decision" not in captured.err + captured.out
    assert configure_logging() == path  # a second call adds no second handler
    marked = [h for h in logging.getLogger("station").handlers if hasattr(h, "baseFilename")]
    assert len(marked) == 1


def test_the_log_follows_the_stick_when_it_comes_back(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pulled stick: the open log file's writes fail, and must not reach the terminal
    the TUI draws on. Back and mounted again, the log file is opened again by its name,
    so the lines of the return land in `logs/station.log` on the stick (the old handle
    pointed at the old mount: here, a folder moved away)."""
    path = configure_logging()
    assert path is not None
    station_log = logging.getLogger("station.wiring.test")
    station_log.info("before the pull")
    [handler] = [h for h in logging.getLogger("station").handlers if hasattr(h, "baseFilename")]
    assert isinstance(handler, logging.FileHandler) and handler.stream is not None
    os.close(handler.stream.fileno())  # the stick is gone: every write fails
    station_log.info("while the stick is out")
    for h in logging.getLogger("station").handlers:
        h.flush()
    assert capsys.readouterr().err == ""
    (data / "logs").rename(data / "old-mount")  # the stick comes back: a new mount
    reopen_log_file()
    station_log.info("Station stick back")
    assert "Station stick back" in _log_text(data)
    assert "Station stick back" not in (data / "old-mount" / LOG_NAME).read_text("utf-8")
    assert capsys.readouterr().err == ""


def test_each_command_run_is_logged(data: Path) -> None:
    configure_logging()
    SubprocessRunner().run(["true"], timeout=10)
    assert "ran true: rc=0" in _log_text(data)


def test_a_crashed_disk_sequence_leaves_its_traceback_in_the_log(data: Path) -> None:
    configure_logging()

    def broken_inspect(path: str) -> TargetInspection:
        raise RuntimeError("a bug in discovery")

    request = SequenceRequest(
        target="/dev/nonexistent-test-disk",
        wipe=load_wipe_profile("nist-clear"),
        runner=SubprocessRunner(),
        inspect=broken_inspect,
        operator="stagiaire-01",
    )
    with pytest.raises(RuntimeError):
        run_sequence(request, lambda update: None, threading.Event())
    text = _log_text(data)
    assert "sequence crashed on /dev/nonexistent-test-disk" in text
    assert "Traceback (most recent call last)" in text and "a bug in discovery" in text


def test_a_cli_crash_says_what_to_do_in_french_and_logs_the_traceback(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import station.cli.support as support

    def crash(out: Path, bench_profile: Path | None) -> list[str]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(support, "write_support_archive", crash)
    assert main(["support"]) == EXIT_CRASH
    err = capsys.readouterr().err
    assert "erreur inattendue" in err and "Appelez l'encadrant" in err
    assert "Traceback" not in err
    assert "ZeroDivisionError: a bug" in _log_text(data)


def test_support_archive_has_versions_log_disks_journal_and_no_secrets(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "bench.yaml"
    profile.write_text(
        "bench_id: banc-3\n"
        "supervisors:\n  - id: formateur-01\n    pin_hash: scrypt$abc$def\n"
        "wifi: {ssid: atelier, passphrase: tres-secret}\n"
        "inventory_token: jeton-123\n",
        encoding="utf-8",
    )
    out = tmp_path / "support.tar.gz"
    assert main(["support", "--out", str(out), "--bench-profile", str(profile)]) == 0
    assert str(out) in capsys.readouterr().out
    with tarfile.open(out) as archive:
        names = archive.getnames()
        files = {n: archive.extractfile(n).read() for n in names}  # type: ignore[union-attr]
    assert {"versions.json", "disks.json", "journal-check.json", "bench-profile.yaml"} <= set(names)
    assert f"logs/{LOG_NAME}" in names
    versions = json.loads(files["versions.json"])
    assert versions["station"] and "smartctl" in versions["tools"]
    assert isinstance(json.loads(files["disks.json"]), list)
    assert json.loads(files["journal-check.json"])["ok"] is True
    everything = b"".join(files.values())
    for secret in (b"tres-secret", b"jeton-123", b"scrypt$abc$def"):
        assert secret not in everything
    assert b"banc-3" in files["bench-profile.yaml"] and b"atelier" in files["bench-profile.yaml"]
