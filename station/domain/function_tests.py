"""The functional tests of the laptop at the bench: their names, statuses and words.

Since décret 2022-190, a device may be called « reconditionné » only if its functions
were tested and its previous user's data removed. Each test ends in one `function_test`
record (station.domain.record.FunctionTest) with one of four statuses, never a guess:

- `passed`: the tool or the person saw it work;
- `failed`: it was tried and did not work (what was seen is kept);
- `not_tested`: it was not tried (the reason is kept: skipped by the trainee, tool
  missing, no stick at hand...);
- `not_present`: the machine has no such part (no camera, no battery on a desktop).

Pure data: no I/O (docs/functional-tests.md).
"""

from __future__ import annotations

from typing import Literal, get_args

from station.domain.text import LocalizedText

TestName = Literal[
    "keyboard",
    "screen",
    "battery",
    "memory",
    "storage",
    "audio",
    "camera",
    "wireless",
    "ports",
    "pointer",
    "webcam_led",
    "case",
]
TestStatus = Literal["passed", "failed", "not_tested", "not_present"]
Judge = Literal["automatic", "operator"]

TEST_NAMES: tuple[TestName, ...] = get_args(TestName)
STATUSES: tuple[TestStatus, ...] = get_args(TestStatus)


def _t(fr: str, en: str) -> LocalizedText:
    return LocalizedText(fr=fr, en=en)


TEST_TITLES: dict[TestName, LocalizedText] = {
    "keyboard": _t("Clavier", "Keyboard"),
    "screen": _t("Écran", "Screen"),
    "battery": _t("Batterie", "Battery"),
    "memory": _t("Mémoire", "Memory"),
    "storage": _t("Disque", "Storage"),
    "audio": _t("Son", "Audio"),
    "camera": _t("Caméra", "Camera"),
    "wireless": _t("Wi-Fi et Bluetooth", "Wi-Fi and Bluetooth"),
    "ports": _t("Ports USB et Ethernet", "USB and Ethernet ports"),
    "pointer": _t("Pavé tactile", "Touchpad"),
    "webcam_led": _t("Voyant de la caméra", "Camera light"),
    "case": _t("Charnières et coque", "Hinges and case"),
}

STATUS_WORDS: dict[TestStatus, LocalizedText] = {
    "passed": _t("OK", "passed"),
    "failed": _t("défaut", "failed"),
    "not_tested": _t("non testé", "not tested"),
    "not_present": _t("absent", "not present"),
}

# Tests whose answer needs a person looking or listening; the others run by themselves.
NEEDS_PERSON: frozenset[TestName] = frozenset(
    {"keyboard", "screen", "audio", "ports", "pointer", "webcam_led", "case"}
)


def title(test: str, lang: str) -> str:
    """The test's name for people ('Clavier'); an unknown name is shown as it is."""
    found = TEST_TITLES.get(test)  # type: ignore[call-overload]
    return found.get(lang) if found is not None else test


def status_word(status: str, lang: str) -> str:
    found = STATUS_WORDS.get(status)  # type: ignore[call-overload]
    return found.get(lang) if found is not None else status


# A function was tested when it has a result: passed, failed (tested, found a defect) or
# not_present (nothing to test). not_tested, or no record at all, is not tested.
TESTED: tuple[TestStatus, ...] = ("passed", "failed", "not_present")


def untested(statuses: dict[str, str]) -> list[TestName]:
    """The functions without a result, in test order (`statuses`: test -> status)."""
    return [name for name in TEST_NAMES if statuses.get(name) not in TESTED]
