"""The machine's grade, computed from its functional tests by the bench profile's rules.

A bench profile lists its grade levels best first (A/B/C/D, or « Très bon / Bon /
Correct / Pour pièces ») and rules; each rule that holds caps the grade at a level
(`at_most`) and gives its reason. The grade is the worst cap, or the best level when no
rule holds, so every grade comes with its explanation. A test that was never recorded
counts as `not_tested`: nothing is assumed to work because nobody looked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from station.domain.function_tests import TEST_NAMES, TestName, title
from station.domain.record import FunctionTest, Grade, HostRef
from station.domain.text import LocalizedText
from station.errors import UsageError

SmartWord = str  # the SmartAssessment verdicts: healthy, worn, worn_out, needs_review, failing


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GradeLevel(_Model):
    code: str = Field(min_length=1, max_length=32, description="printed on the label: A, B...")
    label: LocalizedText


class GradeRule(_Model):
    """Caps the grade at `at_most` when any of its conditions holds."""

    at_most: str = Field(description="the code of a level")
    because: LocalizedText = Field(description="the reason shown and printed")
    failed: list[TestName] = Field(default_factory=list, description="any of these failed")
    not_tested: list[TestName] = Field(
        default_factory=list, description="any of these not tested (or never recorded)"
    )
    battery_health_below: float | None = Field(
        default=None, gt=0, le=100, description="the battery's full/design capacity in %"
    )
    smart_verdict: list[SmartWord] = Field(
        default_factory=list, description="the storage test's SMART verdict is one of these"
    )

    @model_validator(mode="after")
    def _has_condition(self) -> Self:
        if not (self.failed or self.not_tested or self.smart_verdict or self.battery_health_below):
            raise ValueError("a grade rule needs a condition (failed, not_tested, ...)")
        return self


class GradeRules(_Model):
    levels: list[GradeLevel] = Field(min_length=2, description="best first")
    rules: list[GradeRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _codes_known(self) -> Self:
        codes = [level.code for level in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError("grade level codes must differ")
        for rule in self.rules:
            if rule.at_most not in codes:
                raise ValueError(f"at_most: {rule.at_most!r} is not a level ({', '.join(codes)})")
        return self

    def level(self, code: str) -> GradeLevel | None:
        return next((level for level in self.levels if level.code == code), None)

    def rank(self, code: str) -> int:
        return [level.code for level in self.levels].index(code)


def _t(fr: str, en: str) -> LocalizedText:
    return LocalizedText(fr=fr, en=en)


def default_grade_rules() -> GradeRules:
    """The rules a bench gets when its profile says nothing (docs/functional-tests.md)."""
    rule = GradeRule
    return GradeRules(
        levels=[
            GradeLevel(code="A", label=_t("Très bon", "Very good")),
            GradeLevel(code="B", label=_t("Bon", "Good")),
            GradeLevel(code="C", label=_t("Correct", "Fair")),
            GradeLevel(code="D", label=_t("Pour pièces", "For parts")),
        ],
        rules=[
            rule(at_most="D", smart_verdict=["failing", "worn_out"],
                 because=_t("disque défaillant ou usé", "failing or worn-out disk")),
            rule(at_most="D", failed=["memory"],
                 because=_t("mémoire en erreur", "memory errors")),
            rule(at_most="C", failed=["screen", "keyboard"],
                 because=_t("écran ou clavier en défaut", "screen or keyboard defect")),
            rule(at_most="C", failed=["battery"], battery_health_below=50,
                 because=_t("batterie faible (moins de 50 % ou se vide trop vite)",
                            "weak battery (below 50% or drains too fast)")),
            rule(at_most="C", failed=["wireless", "ports", "pointer"],
                 because=_t("Wi-Fi, ports ou pavé tactile en défaut",
                            "Wi-Fi, ports or touchpad defect")),
            rule(at_most="C", not_tested=["keyboard", "screen", "battery", "memory", "storage"],
                 because=_t("un test essentiel n'a pas été fait",
                            "an essential test was not done")),
            rule(at_most="B", battery_health_below=80,
                 because=_t("batterie sous 80 % de sa capacité d'origine",
                            "battery below 80% of its design capacity")),
            rule(at_most="B", smart_verdict=["worn", "needs_review"],
                 because=_t("disque fatigué", "worn disk")),
            rule(at_most="B", failed=["audio", "camera", "webcam_led", "case"],
                 because=_t("son, caméra ou coque en défaut", "audio, camera or case defect")),
        ],
    )  # fmt: skip


class GradeDecision(_Model):
    code: str
    label: LocalizedText
    reasons: list[LocalizedText]
    defects: list[str]
    based_on: list[str]


def latest_tests(records: Sequence[FunctionTest]) -> dict[str, FunctionTest]:
    """The last record of each test (a test run again replaces its earlier result)."""
    return {record.test: record for record in records}


def _holds(rule: GradeRule, tests: dict[str, FunctionTest]) -> bool:
    def status(name: str) -> str:
        found = tests.get(name)
        return found.status if found is not None else "not_tested"

    if any(status(name) == "failed" for name in rule.failed):
        return True
    if any(status(name) == "not_tested" for name in rule.not_tested):
        return True
    battery = tests.get("battery")
    health = battery.measured.get("health_percent") if battery is not None else None
    if isinstance(health, bool) or not isinstance(health, int | float):
        health = None
    limit = rule.battery_health_below
    if limit is not None and health is not None and health < limit:
        return True
    storage = tests.get("storage")
    verdict = storage.measured.get("smart_verdict") if storage is not None else None
    return verdict in rule.smart_verdict


def defect_lines(tests: dict[str, FunctionTest]) -> list[str]:
    """One line per defect of the failed tests, in French (the label's language)."""
    lines: list[str] = []
    for name in TEST_NAMES:
        record = tests.get(name)
        if record is None or record.status != "failed":
            continue
        said = record.defects or [record.observed or ""]
        lines.extend(f"{title(name, 'fr')} : {text}".rstrip(" :") for text in said)
    return lines


def compute_grade(records: Sequence[FunctionTest], rules: GradeRules) -> GradeDecision:
    """The grade the rules give these test records, and why."""
    tests = latest_tests(records)
    held = [rule for rule in rules.rules if _holds(rule, tests)]
    held.sort(key=lambda rule: -rules.rank(rule.at_most))
    worst = held[0].at_most if held else rules.levels[0].code
    level = rules.level(worst)
    assert level is not None  # GradeRules checked every at_most
    reasons = [
        _t(f"au plus {r.at_most} : {r.because.fr}", f"at most {r.at_most}: {r.because.en}")
        for r in held
    ]
    return GradeDecision(
        code=level.code,
        label=level.label,
        reasons=reasons or [_t("aucun défaut relevé", "no defect found")],
        defects=defect_lines(tests),
        based_on=[r.record_id for r in tests.values() if r.record_id is not None],
    )


def grade_record(
    decision: GradeDecision,
    rules: GradeRules,
    *,
    host: HostRef,
    operator: str,
    created_at: datetime,
    bench: str,
    override: tuple[str, str, str] | None = None,
) -> Grade:
    """The `grade` record body; `override` is (level code, supervisor id, reason)."""
    code, label = decision.code, decision.label
    overridden_by = reason = None
    if override is not None:
        code, overridden_by, reason = override
        level = rules.level(code)
        if level is None:
            codes = ", ".join(lvl.code for lvl in rules.levels)
            raise UsageError(
                f"{code!r} is not a grade of this bench ({codes})",
                french=f"« {code} » n'est pas une note de ce banc ({codes})",
            )
        label = level.label
    return Grade(
        created_at=created_at,
        operator=operator,
        host=host,
        grade=code,
        label=label,
        computed=decision.code,
        reasons=decision.reasons,
        defects=decision.defects,
        based_on=decision.based_on,
        rules=bench,
        overridden_by=overridden_by,
        override_reason=reason,
    )
