"""Function-test and grade records, and the grade computed from the bench profile's rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from station.domain.bench_profile import default_bench
from station.domain.function_tests import TEST_NAMES
from station.domain.grading import GradeRules, compute_grade, default_grade_rules, grade_record
from station.domain.record import FunctionTest, HostRef, parse_body
from station.errors import RecordError, UsageError
from station.journal.samples import sample_body

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
HOST = HostRef(manufacturer="LENOVO", product="ThinkPad T480", serial="PF0ABCDE")


def result(test: str, status: str = "passed", **fields: Any) -> FunctionTest:
    judged = "operator" if test in ("screen", "keyboard", "case") else "automatic"
    return FunctionTest(
        created_at=AT, operator="op-1", host=HOST, test=test, status=status,  # type: ignore[arg-type]
        judged_by=judged, **fields,
    )  # fmt: skip


def all_passed(**measured: dict[str, Any]) -> list[FunctionTest]:
    return [result(name, measured=measured.get(name, {})) for name in TEST_NAMES]


def test_every_test_passed_gives_the_best_grade_and_says_so() -> None:
    decision = compute_grade(all_passed(battery={"health_percent": 93.0}), default_grade_rules())
    assert (decision.code, decision.label.fr) == ("A", "Très bon")
    assert [r.fr for r in decision.reasons] == ["aucun défaut relevé"]
    assert decision.defects == []


def test_the_worst_rule_sets_the_grade_and_every_rule_that_held_is_explained() -> None:
    tests = [
        *all_passed(battery={"health_percent": 72.4}),
        result("screen", "failed", observed="pixel mort en haut à gauche"),
    ]
    decision = compute_grade(tests, default_grade_rules())
    assert decision.code == "C"
    assert [r.fr for r in decision.reasons] == [
        "au plus C : écran ou clavier en défaut",
        "au plus B : batterie sous 80 % de sa capacité d'origine",
    ]
    assert decision.defects == ["Écran : pixel mort en haut à gauche"]


def test_a_failing_disk_or_bad_memory_means_for_parts() -> None:
    disk = compute_grade([*all_passed(storage={"smart_verdict": "failing"})], default_grade_rules())
    memory = compute_grade(
        [*all_passed(), result("memory", "failed", defects=["2 erreurs (memtester)"])],
        default_grade_rules(),
    )
    assert (disk.code, memory.code) == ("D", "D")
    assert memory.defects == ["Mémoire : 2 erreurs (memtester)"]


def test_a_test_never_recorded_counts_as_not_tested_not_as_passed() -> None:
    without_memory = [r for r in all_passed() if r.test != "memory"]
    assert compute_grade(without_memory, default_grade_rules()).code == "C"
    skipped = [*all_passed(), result("camera", "not_tested", reason="pas de caméra testable")]
    # The camera is not essential: skipping it changes nothing, but it stays recorded.
    assert compute_grade(skipped, default_grade_rules()).code == "A"


def test_a_test_run_again_replaces_its_earlier_result() -> None:
    tests = [*all_passed(), result("keyboard", "failed", observed="touche A"), result("keyboard")]
    assert compute_grade(tests, default_grade_rules()).code == "A"


def test_a_missing_part_is_not_a_defect() -> None:
    tests = [*all_passed(), result("camera", "not_present"), result("battery", "not_present")]
    assert compute_grade(tests, default_grade_rules()).code == "A"


def test_the_records_refuse_a_guess() -> None:
    with pytest.raises(ValidationError, match="says why"):
        result("audio", "not_tested")
    with pytest.raises(ValidationError, match="what was seen"):
        result("audio", "failed")
    with pytest.raises(ValidationError, match="only a failed test"):
        result("audio", "passed", defects=["grésille"])
    with pytest.raises(RecordError, match="test: Input should be"):
        parse_body(sample_body("function_test", test="smell"))


def test_an_override_names_the_supervisor_and_the_reason() -> None:
    rules = default_grade_rules()
    decision = compute_grade(all_passed(battery={"health_percent": 70.0}), rules)
    computed = grade_record(decision, rules, host=HOST, operator="op-1", created_at=AT, bench="b")
    assert (computed.grade, computed.computed, computed.overridden_by) == ("B", "B", None)
    changed = grade_record(
        decision, rules, host=HOST, operator="sup-2", created_at=AT, bench="b",
        override=("A", "sup-2", "batterie neuve posée après le test"),
    )  # fmt: skip
    assert (changed.grade, changed.label.fr, changed.computed) == ("A", "Très bon", "B")
    with pytest.raises(UsageError, match="not a grade"):
        grade_record(
            decision, rules, host=HOST, operator="sup-2", created_at=AT, bench="b",
            override=("Z", "sup-2", "?"),
        )  # fmt: skip
    body = changed.model_dump(mode="json")
    body.update(overridden_by=None, override_reason=None)
    with pytest.raises(RecordError, match="names who gave it and why"):
        parse_body(body)


def test_grade_rules_are_checked_when_the_profile_is_read() -> None:
    levels = [{"code": "1", "label": {"fr": "Bon", "en": "Good"}}] * 2
    with pytest.raises(ValidationError, match="codes must differ"):
        GradeRules.model_validate({"levels": levels})
    good = [{"code": c, "label": {"fr": c, "en": c}} for c in ("1", "2")]
    with pytest.raises(ValidationError, match="is not a level"):
        GradeRules.model_validate(
            {"levels": good, "rules": [{"at_most": "3", "failed": ["screen"],
                                        "because": {"fr": "x", "en": "x"}}]}
        )  # fmt: skip
    with pytest.raises(ValidationError, match="needs a condition"):
        GradeRules.model_validate(
            {"levels": good, "rules": [{"at_most": "2", "because": {"fr": "x", "en": "x"}}]}
        )


def test_a_bench_without_grades_in_its_profile_gets_the_shipped_ones() -> None:
    bench = default_bench()
    assert [level.code for level in bench.grades.levels] == ["A", "B", "C", "D"]
    assert bench.function_tests.keyboard_layout == "azerty-fr"
