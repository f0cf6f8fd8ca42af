"""The command runner: evidence of every run, timeouts, missing tools, replay by argv."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from station.devices.runner import ReplayRunner, SubprocessRunner
from station.errors import CommandError


def test_a_real_command_leaves_full_evidence() -> None:
    evidence = SubprocessRunner().run(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=10)
    assert evidence.argv == ("sh", "-c", "echo out; echo err >&2; exit 3")
    assert evidence.returncode == 3
    assert not evidence.ok
    assert evidence.stdout == "out\n"
    assert evidence.stderr == "err\n"
    assert evidence.stdout_sha256 == hashlib.sha256(b"out\n").hexdigest()
    assert evidence.ended_at >= evidence.started_at
    assert evidence.started_at.tzinfo is not None
    record = evidence.to_record()
    assert record["returncode"] == 3 and record["stdout"] == "out\n"
    assert "exit 3" in evidence.describe()


def test_a_command_past_its_timeout_is_recorded_as_timed_out() -> None:
    evidence = SubprocessRunner().run(["sleep", "5"], timeout=0.2)
    assert evidence.timed_out
    assert evidence.returncode is None
    assert not evidence.ok
    assert "timed out" in evidence.describe()


def test_a_missing_tool_is_a_clear_command_error() -> None:
    with pytest.raises(CommandError, match="no-such-tool-xyz is not installed"):
        SubprocessRunner().run(["no-such-tool-xyz", "--help"], timeout=5)


def test_tool_versions_are_recorded_for_known_tools() -> None:
    runner = SubprocessRunner()
    if runner.version_of("smartctl") is None:
        pytest.skip("smartctl is not installed here (scripts/install-system-deps.sh)")
    evidence = runner.run(["smartctl", "--version"], timeout=10)
    assert evidence.tool_version is not None and evidence.tool_version.startswith("smartctl")


def test_commands_run_in_the_c_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    evidence = SubprocessRunner().run(["sh", "-c", "echo $LC_ALL"], timeout=5)
    assert evidence.stdout.strip() == "C"


def _case(tmp_path: Path, calls: list[dict[str, object]]) -> Path:
    (tmp_path / "index.json").write_text(json.dumps({"calls": calls}))
    for name in ("one.txt", "two.txt"):
        (tmp_path / name).write_text(name)
    return tmp_path


def test_replay_answers_by_argv_in_order_and_repeats_the_last(tmp_path: Path) -> None:
    case = _case(
        tmp_path,
        [{"argv": ["tool", "{device}"], "stdout": ["one.txt", "two.txt"], "returncode": 0}],
    )
    runner = ReplayRunner(case, device="/dev/sdz")
    answers = [runner.run(["tool", "/dev/sdz"], timeout=1).stdout for _ in range(3)]
    assert answers == ["one.txt", "two.txt", "two.txt"]
    assert runner.count(["tool", "/dev/sdz"]) == 3


def test_replay_refuses_an_argv_it_has_no_recording_for(tmp_path: Path) -> None:
    runner = ReplayRunner(_case(tmp_path, [{"argv": ["tool"], "returncode": 0}]))
    with pytest.raises(CommandError, match="no recorded answer"):
        runner.run(["tool", "--other"], timeout=1)


def test_every_recorded_case_points_at_files_that_exist() -> None:
    root = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
    cases = [p for p in root.iterdir() if p.is_dir()]
    assert len(cases) >= 20
    for case in cases:
        index = json.loads((case / "index.json").read_text())
        for call in index["calls"]:
            names = call.get("stdout", [])
            for name in [names] if isinstance(names, str) else names:
                assert (case / name).is_file(), f"{case.name}: {name}"
