"""`station wipe` with a purge profile on a target that cannot purge: the Clear runs and
the reason is said and recorded (the purge paths themselves: test_purge_job, VM tier)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli import main
from station.devices.runner import SubprocessRunner
from station.devices.safety import TargetInspection, inspect_target
from station.domain.certificate import certificate_facts
from station.domain.results import Result
from station.jobs.profiles import load_wipe_profile
from station.jobs.sanitize import run_sanitize
from station.jobs.wipe import WipeRequest
from station.reports.certificate_rows import annex_sections
from station.reports.daily_log_checks import failure_reasons
from station.wiring import build_services
from tests.wipe_helpers import MIB, fill_random, read_all


def image(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    with path.open("wb") as handle:
        handle.truncate(80 * MIB)
    fill_random(path, 80 * MIB)
    return path


def test_a_disk_image_cannot_purge_so_it_is_cleared_with_the_reason(tmp_path: Path) -> None:
    disk = image(tmp_path)
    outcome = run_sanitize(
        WipeRequest(str(disk), load_wipe_profile("nist-purge")), SubprocessRunner()
    )
    assert outcome.plan is not None and outcome.plan.method == "clear"
    assert outcome.purge is None and outcome.wipe is not None
    assert outcome.result is Result.CLEARED
    assert any(reason.startswith("Purge not possible") for reason in outcome.reasons)
    assert read_all(disk) != bytes(80 * MIB)  # random-data Clear, not zeros


def test_the_disk_is_inspected_once_for_the_erase_stage(tmp_path: Path) -> None:
    disk = image(tmp_path)
    seen: list[str] = []

    def counting(path: str) -> TargetInspection:
        seen.append(path)
        return inspect_target(path)

    request = WipeRequest(str(disk), load_wipe_profile("nist-purge"), inspect=counting)
    outcome = run_sanitize(request, SubprocessRunner())
    assert outcome.result is Result.CLEARED
    assert seen == [str(disk)]


def test_cli_writes_the_sanitize_report_for_a_purge_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STATION_DATA_DIR", str(tmp_path / "data"))
    disk, out = image(tmp_path), tmp_path / "r.json"
    code = main(["wipe", str(disk), "--profile", "nist-purge", "--yes", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["schema_id"] == "station.sanitize-report/1"
    assert data["result"] == "cleared" and data["plan"]["method"] == "clear"
    assert data["plan"]["reason"]["fr"] and data["plan"]["reason"]["en"]
    assert data["wipe"]["verification"]["mode"] == "sampled"
    assert len(data["record_ids"]) == 4
    assert "plan:" in capsys.readouterr().err


def test_a_purge_not_possible_is_recorded_and_printed_not_counted_as_a_failure(
    tmp_path: Path,
) -> None:
    """Issue 13: flash falls back to Clear "with the reason shown and printed": the
    reason is a purge_command (supported: false) the certificate prints; the daily log
    does not count it as a failure (nothing was sent to the drive)."""
    services = build_services(tmp_path / "data")
    disk = image(tmp_path)
    outcome = run_sanitize(
        WipeRequest(str(disk), load_wipe_profile("nist-purge"), journal=services.journal),
        SubprocessRunner(),
    )
    stored = [services.journal.get(i) for i in outcome.record_ids]
    bodies = [s.body() for s in stored if s is not None]
    assert [b["kind"] for b in bodies][:2] == ["disk_seen", "purge_command"]
    first = bodies[1]
    assert first["supported"] is False
    assert first["notes"][0].startswith("disque virtuel")
    facts = certificate_facts(bodies)
    assert facts["result"] == "cleared" and facts["method"] == "clear"
    rows = dict(row for _title, section in annex_sections(facts, "fr") for row in section)
    assert rows["Purge par le disque"] == "non faite : disque virtuel : pas de commande firmware"
    assert not [r for b in bodies for r in failure_reasons(b)]


def test_the_journal_follows_time_when_a_purge_gives_way_to_a_clear(tmp_path: Path) -> None:
    """One session: the disk seen, the purge that could not be done, then the Clear."""
    from station.wiring import build_services

    disk = image(tmp_path)
    journal = build_services(tmp_path / "data").journal
    outcome = run_sanitize(
        WipeRequest(str(disk), load_wipe_profile("nist-purge"), journal=journal),
        SubprocessRunner(),
    )
    kinds = [journal.get(rid).kind for rid in outcome.record_ids]  # type: ignore[union-attr]
    assert kinds == ["disk_seen", "purge_command", "overwrite_pass", "verification"]
