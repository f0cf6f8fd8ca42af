"""Functional tests and grade as people read them: lines for `station verify`, the
label and the fiche de reconditionnement. A reading of signed records, nothing more."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from station.domain.function_tests import status_word, title


def latest_of(
    bodies: Iterable[dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The last function_test body of each test, and the last grade body (or None)."""
    tests: dict[str, dict[str, Any]] = {}
    grade: dict[str, Any] | None = None
    for body in bodies:
        if body.get("kind") == "function_test":
            tests[str(body.get("test"))] = body
        elif body.get("kind") == "grade":
            grade = body
    return tests, grade


def test_detail(body: dict[str, Any]) -> str:
    """What a test's record says beyond its status: the reason, what was seen."""
    status = body.get("status")
    if status == "not_tested":
        return str(body.get("reason") or "")
    if status == "failed":
        return "; ".join(body.get("defects") or []) or str(body.get("observed") or "")
    return str(body.get("observed") or "")


def grade_line(grade: dict[str, Any], lang: str) -> str:
    label = grade.get("label") or {}
    text = f"{grade.get('grade')} — {label.get(lang) or label.get('fr', '')}"
    if grade.get("overridden_by"):
        if lang == "fr":
            return (
                f"{text} (calculée : {grade.get('computed')} ; changée par "
                f"{grade['overridden_by']} : {grade.get('override_reason')})"
            )
        return (
            f"{text} (computed: {grade.get('computed')}; changed by "
            f"{grade['overridden_by']}: {grade.get('override_reason')})"
        )
    return text


def verify_lines(bodies: Iterable[dict[str, Any]], lang: str) -> list[str]:
    """The functional tests and grade among verified records, one line each."""
    tests, grade = latest_of(bodies)
    colon = " : " if lang == "fr" else ": "
    lines = [
        f"  test {title(name, lang)}{colon}{status_word(str(b.get('status')), lang)}"
        + (f" ({detail})" if (detail := test_detail(b)) else "")
        for name, b in tests.items()
    ]
    if grade is not None:
        lines.append(("  note : " if lang == "fr" else "  grade: ") + grade_line(grade, lang))
    return lines
