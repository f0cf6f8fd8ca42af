"""Issue 19's "done when" on the demo bench: `make demo`'s own script sets up its
simulated bench and starts its app, which tests/tui/demo_pilot.py drives by keys only at
80 x 25 (DEMO_TUI_DRIVER): identify, recondition a simulated disk, then the whole Tests
step of the demo machine. Every test must end with an honest status for THIS computer
(what it lacks is absent, what was skipped says why), the grade must be the bench
rules' grade, and both fiches (the one the screen wrote, `station fiche`) must show the
tests and the erasure of the same machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from station.domain.bench_profile import BenchProfile
from station.domain.function_tests import TEST_NAMES
from station.domain.grading import compute_grade
from station.domain.record import FunctionTest
from station.yamlfile import load_model
from tests.conftest import REPO
from tests.tui.demo_pilot import ANSWERS, DISK_SERIAL, MACHINE

pytestmark = pytest.mark.tui


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo-tests") / "seen.json"
    env = {**os.environ, "DEMO_TUI_DRIVER": "tests.tui.demo_pilot", "DEMO_PILOT_OUT": str(out),
           "PY": sys.executable}  # fmt: skip
    env.pop("DEMO_SIZE_MIB", None)  # the demo image (128 MiB) is deployed after the erase
    env.pop("STATION_DATA_DIR", None)
    done = subprocess.run(
        [str(REPO / "scripts" / "demo.sh")],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    seen: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in seen, seen["error"]
    return seen


def function_records(demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["test"]: r for r in demo["records"] if r["kind"] == "function_test"}


def lacks(test: str) -> bool:
    """Whether this computer has none of what `test` looks at (read here, from sysfs)."""
    sysfs = Path("/sys/class")
    if test == "battery":
        return not any(
            (p / "type").read_text().strip() == "Battery"
            for p in (sysfs / "power_supply").glob("*")
            if (p / "type").exists()
        )
    if test == "camera":
        return not any((sysfs / "video4linux").glob("video*"))
    if test == "wireless":
        return not any((sysfs / "ieee80211").glob("*")) and not any(
            (sysfs / "bluetooth").glob("hci*")
        )
    if test == "audio":
        return not any(Path("/proc/asound").glob("card[0-9]*"))
    return False


def test_the_demo_disk_was_erased_and_recorded_with_the_demo_machine(demo: dict[str, Any]) -> None:
    assert (demo["disk_stage"], demo["disk_result"]) == ("DONE", "cleared"), demo["disk_outcome"]
    (inventory,) = [r for r in demo["records"] if r["kind"] == "host_inventory"]
    assert inventory["host"]["asset_tag"] == MACHINE
    assert inventory["host"]["identified_by"] == "asset_tag"  # never passed off as firmware
    assert [d["serial"] for d in inventory["disks"]] == [DISK_SERIAL]  # not the host's own


def test_every_key_of_the_french_map_lit_and_the_colours_filled_the_screen(
    demo: dict[str, Any],
) -> None:
    assert "Pas encore appuyées (77)" in demo["map_before"]
    assert "Pas encore appuyées (0)" in demo["map_after"], demo["map_after"]
    backgrounds = [c["background"] for c in demo["colours"]]
    assert backgrounds == [
        "Color(0, 0, 0)", "Color(255, 255, 255)", "Color(255, 0, 0)",
        "Color(0, 128, 0)", "Color(0, 0, 255)",
    ]  # fmt: skip
    assert all(c["visible"] == [] for c in demo["colours"])  # nothing but the colour


def test_every_test_ends_with_an_honest_status(demo: dict[str, Any]) -> None:
    tests = function_records(demo)
    assert sorted(tests) == sorted(TEST_NAMES)
    for name, body in tests.items():
        status = body["status"]
        if status == "not_tested":
            assert body["reason"], name
        if status == "failed":
            assert body["observed"] or body["defects"], name
        if name in ("battery", "camera", "wireless", "audio"):
            # Absent exactly when this computer has none; otherwise measured or asked.
            assert (status == "not_present") == lacks(name), (name, status)
    # The loop disk gives no SMART health: not tested, with why (never passed).
    assert tests["storage"]["status"] == "not_tested" and "SMART" in tests["storage"]["reason"]
    assert tests["memory"]["status"] == "passed", tests["memory"]
    assert tests["memory"]["measured"]["tested_megabytes"] == 32  # the demo's profile
    assert tests["keyboard"]["status"] == "passed"
    assert tests["keyboard"]["measured"]["keys_never_pressed"] is None
    assert tests["screen"]["status"] == "passed"
    # The questions, answered as the trainee did: a skip keeps its reason, a "no" what
    # was seen, and each answer is the operator's.
    assert (tests["ports"]["status"], tests["ports"]["reason"]) == (
        "not_tested",
        ANSWERS["ports"][1],
    )
    assert (tests["webcam_led"]["status"], tests["webcam_led"]["observed"]) == (
        "failed", ANSWERS["webcam_led"][1],
    )  # fmt: skip
    for name in ("keyboard", "screen", "ports", "pointer", "webcam_led", "case"):
        assert tests[name]["judged_by"] == "operator", name
    assert all(body["host"]["asset_tag"] == MACHINE for body in tests.values())


def test_the_grade_is_the_demo_bench_rules_grade(demo: dict[str, Any]) -> None:
    (grade,) = [r for r in demo["records"] if r["kind"] == "grade"]
    rules = load_model(REPO / "profiles/bench/demo.yaml", BenchProfile).grades
    computed = compute_grade(
        [FunctionTest.model_validate(b) for b in function_records(demo).values()], rules
    )
    assert (grade["grade"], grade["computed"]) == (computed.code, computed.code)
    assert [r["fr"] for r in grade["reasons"]] == [r.fr for r in computed.reasons]
    assert grade["defects"] == ["Voyant de la caméra : voyant resté éteint"]
    assert f"Note : {computed.code}" in demo["end"]
    assert f"Note {computed.code} enregistrée. Fiche de reconditionnement" in demo["recorded"]


def test_the_fiche_shows_the_tests_and_the_erasure_of_the_demo_machine(
    demo: dict[str, Any],
) -> None:
    fiche = demo["screen_fiche"]
    assert fiche is not None, "the screen wrote no fiche"
    assert "Fiche de reconditionnement" in fiche and MACHINE in fiche
    for title in ("Clavier OK", "Écran OK", "Mémoire OK", "Voyant de la caméra défaut"):
        assert title in fiche, title
    assert ANSWERS["ports"][1] in fiche
    assert f"Disque SIM Laptop HDD 320 — {DISK_SERIAL}" in fiche
    assert "EFFACÉ (Clear)" in fiche
    assert "ne permet pas d'employer la mention « reconditionné »" in fiche
    # `station fiche` reads the same records: the same machine, tests and disk.
    assert demo["fiche_rc"] == 0
    assert MACHINE in demo["fiche"] and DISK_SERIAL in demo["fiche"]
    assert demo["fiche"].count("stagiaire-01") == len(TEST_NAMES)
