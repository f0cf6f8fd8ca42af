"""The SMART facts a health verdict needs, read from smartctl's text or JSON output.

Two sources give the same `SmartFacts`: `smartctl -x --json` (what Station keeps as
evidence; smartctl >= 7.0) and smartctl's text (`-a` or `-x`, any smartctl version, and
the form most public recordings of real drives exist in). Pure functions, no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Protocol = Literal["ata", "nvme", "scsi", "emmc", "unknown"]

# ATA attribute ids the verdict looks at.
REALLOCATED, PENDING, OFFLINE_UNCORRECTABLE = 5, 197, 198


SelfTestOutcome = Literal["passed", "failed", "aborted", "in_progress", "unknown"]

# Every status smartctl prints for an ATA self-test log entry (ataprint.cpp,
# ataPrintSelectiveSelfTestLog / ataPrintSmartSelfTestEntry) and for NVMe (nvmeprint.cpp).
# Statuses are matched by their beginning: smartctl pads them to 29 characters, and the
# longest ones ("Completed: servo/seek failure") are followed by a single space.
_STATUS_OUTCOMES: tuple[tuple[str, SelfTestOutcome], ...] = (
    ("completed without error", "passed"),
    ("aborted by host", "aborted"),
    ("interrupted", "aborted"),  # "Interrupted (host reset)"
    ("aborted", "aborted"),  # NVMe: "Aborted: Self-test command", "Aborted: Controller Reset"...
    ("self-test routine in progress", "in_progress"),
    ("self test in progress", "in_progress"),
    ("self-test in progress", "in_progress"),
    ("fatal or unknown", "failed"),  # ATA "Fatal or unknown error", NVMe "...test error"
    ("completed: ", "failed"),  # unknown/electrical/servo-seek/read failure, handling damage??
    ("completed:", "failed"),
    ("unknown", "unknown"),  # "Unknown status (0x9)", "Unknown/reserved test status"
)


def self_test_outcome(status: str) -> SelfTestOutcome:
    """What a self-test log status says about the drive; anything unrecognised is unknown."""
    lowered = status.strip().lower()
    for prefix, outcome in _STATUS_OUTCOMES:
        if lowered.startswith(prefix):
            return outcome
    return "unknown"


class SelfTestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    status: str
    outcome: SelfTestOutcome

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


class SmartFacts(BaseModel):
    """What the drive says about its health; None means "not reported", never zero."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    supported: bool = True
    unsupported_reason: str | None = None
    smart_enabled: bool | None = None  # False: the drive has SMART but it is switched off
    protocol: Protocol = "unknown"
    model: str | None = None
    model_family: str | None = None  # smartctl's drive database: "Western Digital Red"
    serial: str | None = None
    firmware: str | None = None
    overall_passed: bool | None = None
    exit_status: int | None = None
    reallocated_sectors: int | None = None
    pending_sectors: int | None = None
    offline_uncorrectable: int | None = None
    failing_now: tuple[str, ...] = ()
    failed_in_past: tuple[str, ...] = ()
    nvme_critical_warning: int | None = None
    percentage_used: int | None = None  # NVMe log, ATA Device Statistics, SCSI, or wear attr
    wear_source: str | None = None  # where percentage_used was read (said in the reasons)
    available_spare: int | None = None
    available_spare_threshold: int | None = None
    media_errors: int | None = None
    grown_defects: int | None = None
    self_tests: tuple[SelfTestEntry, ...] = ()  # newest first
    self_test_running: bool = False
    self_test_remaining_percent: int | None = None
    emmc_pre_eol: int | None = None  # EXT_CSD PRE_EOL_INFO: 1 normal, 2 warning, 3 urgent


def _first_int(text: str) -> int | None:
    match = re.search(r"\d[\d,]*", text)
    return int(match.group().replace(",", "")) if match else None


def _field(text: str, label: str) -> str | None:
    match = re.search(rf"^{re.escape(label)}\s*:?\s*(.+?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def _hex_or_int(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip().split()[0]
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value.rstrip("%"))
    except ValueError:
        return None


_UNSUPPORTED_TEXT = (
    ("Unknown USB bridge", "unknown USB bridge: no ATA/NVMe pass-through"),
    ("Please specify device type", "smartctl cannot talk to this device type"),
    ("SMART support is: Unavailable", "the device has no SMART"),
    ("Device does not support SMART", "the device has no SMART"),
)

# `-a`:  5 Reallocated_Sector_Ct 0x0033 100 100 010 Pre-fail Always - 0
# `-x`:  5 Reallocated_Sector_Ct PO--CK 001 001 005 NOW  1303
_ATTR = re.compile(
    r"^\s*(\d{1,3})\s+(\S+)\s+(0x[0-9a-fA-F]{4}|[-A-Z]{6})\s+(\d+)\s+\d+\s+\S+\s+(.+)$"
)

# SATA SSD wear: vendor attributes whose normalized VALUE counts down from 100 as the
# rated life is used (smartmontools drivedb.h names). An id alone is not enough: 202 is
# Data_Address_Mark_Errs on Seagate HDDs, 173 an erase count on Phison SSDs.
WEAR_ATTRIBUTES = {
    169: ("Remaining_Lifetime_Perc",),
    173: ("Wear_Leveling_Count",),
    177: ("Wear_Leveling_Count",),
    202: ("Percent_Lifetime_Remain",),
    231: ("SSD_Life_Left",),
    233: ("Media_Wearout_Indicator",),
}
ENDURANCE_STAT = "Percentage Used Endurance Indicator"
# -x Device Statistics: "0x07  0x008  1               3  N--  Percentage Used Endurance..."
_DEVSTAT_ENDURANCE = re.compile(r"^\s*0x07\s+0x008\s+\d+\s+(\d+)\s+\S+\s+Percentage Used", re.M)
_SCSI_ENDURANCE = re.compile(r"^Percentage used endurance indicator:\s*(\d+)%", re.M)


def wear_from_attribute(attr_id: int, name: str, value: int) -> int | None:
    """Percent of rated life used, from a wear attribute's normalized value."""
    if name not in WEAR_ATTRIBUTES.get(attr_id, ()):
        return None
    # Apple's SSDs start some counters above 100 (165 seen): that is no wear at all.
    return max(0, 100 - value)


# The status is up to 29 characters wide and may be followed by ONE space before the
# Remaining column ("Completed: servo/seek failure 90%"): split on the percentage, never
# on a run of spaces.
_SELF_TEST = re.compile(r"^#\s*\d+\s+(.+?)\s{2,}(\S.*?)\s+\d+%")
_NVME_SELF_TEST = re.compile(r"^\s*\d+\s+(Short|Extended|Vendor specific)\s+(.+?)\s{2,}\d")


def facts_from_text(text: str, *, exit_status: int | None = None) -> SmartFacts:
    """Facts from smartctl's human-readable output (`-a` or `-x`)."""
    # SCSI output pads "SMART support is:     Unavailable": compare with single spaces.
    flat = " ".join(text.split())
    for marker, reason in _UNSUPPORTED_TEXT:
        if marker in flat:
            return SmartFacts(supported=False, unsupported_reason=reason, exit_status=exit_status)
    facts: dict[str, Any] = {"exit_status": exit_status}
    if re.search(r"^SMART support is:\s+Disabled", text, re.M):
        facts["smart_enabled"] = False
    elif re.search(r"^SMART support is:\s+Enabled", text, re.M):
        facts["smart_enabled"] = True
    if "Critical Warning:" in text or "NVMe Version" in text or "NVMe Log" in text:
        facts["protocol"] = "nvme"
    elif "SMART Health Status:" in text or "Transport protocol" in text:
        facts["protocol"] = "scsi"
    elif "ATA Version is" in text or "Device Model:" in text or "ID# ATTRIBUTE_NAME" in text:
        facts["protocol"] = "ata"
    facts["model"] = (
        _field(text, "Device Model") or _field(text, "Model Number") or _field(text, "Product")
    )
    facts["serial"] = _field(text, "Serial Number") or _field(text, "Serial number")
    facts["firmware"] = _field(text, "Firmware Version") or _field(text, "Revision")
    facts["model_family"] = _field(text, "Model Family")
    health = _field(text, "SMART overall-health self-assessment test result")
    scsi_health = _field(text, "SMART Health Status")
    if health is not None:
        facts["overall_passed"] = health.startswith("PASSED")
    elif scsi_health is not None:
        facts["overall_passed"] = scsi_health.startswith("OK")
    endurance = _DEVSTAT_ENDURANCE.search(text) or _SCSI_ENDURANCE.search(text)
    if endurance:
        facts["percentage_used"] = int(endurance.group(1))
        facts["wear_source"] = "device statistics" if "0x07" in endurance.group(0) else "scsi"
    nvme_used = _hex_or_int(_field(text, "Percentage Used"))
    if nvme_used is not None:
        facts["percentage_used"], facts["wear_source"] = nvme_used, "nvme"
    _attributes_from_text(text, facts)
    for key, label in (
        ("available_spare", "Available Spare"),
        ("available_spare_threshold", "Available Spare Threshold"),
        ("media_errors", "Media and Data Integrity Errors"),
        ("grown_defects", "Elements in grown defect list"),
    ):
        facts[key] = _hex_or_int(_field(text, label))
    facts["nvme_critical_warning"] = _hex_or_int(_field(text, "Critical Warning"))
    facts["self_tests"] = tuple(_self_tests_from_text(text))
    running = re.search(r"(\d+)% of test remaining", text)
    nvme_running = re.search(r"self-test in progress \((\d+)% completed\)", text)
    if running and "in progress" in text:
        facts["self_test_running"] = True
        facts["self_test_remaining_percent"] = int(running.group(1))
    elif nvme_running:
        facts["self_test_running"] = True
        facts["self_test_remaining_percent"] = 100 - int(nvme_running.group(1))
    return SmartFacts(**facts)


def _attributes_from_text(text: str, facts: dict[str, Any]) -> None:
    wear_seen: list[tuple[int, str]] = []
    failing_now: list[str] = []
    failed_past: list[str] = []
    targets = {
        REALLOCATED: "reallocated_sectors",
        PENDING: "pending_sectors",
        OFFLINE_UNCORRECTABLE: "offline_uncorrectable",
    }
    for line in text.splitlines():
        match = _ATTR.match(line)
        if not match:
            continue
        attr_id, name, flags, rest = int(match[1]), match[2], match[3], match[5].split()
        wear = wear_from_attribute(attr_id, name, int(match[4]))
        if wear is not None:
            wear_seen.append((wear, f"{attr_id} {name}"))
        # `-a` has TYPE and UPDATED columns before WHEN_FAILED; `-x` does not.
        when_index = 2 if flags.startswith("0x") else 0
        if len(rest) <= when_index:
            continue
        when_failed, raw = rest[when_index], " ".join(rest[when_index + 1 :])
        if when_failed in ("NOW", "FAILING_NOW"):
            failing_now.append(name)
        elif when_failed in ("Past", "In_the_past"):
            failed_past.append(name)
        if attr_id in targets:
            facts[targets[attr_id]] = _first_int(raw)
    facts["failing_now"] = tuple(failing_now)
    facts["failed_in_past"] = tuple(failed_past)
    _set_wear(facts, wear_seen)


def _set_wear(facts: dict[str, Any], attributes: list[tuple[int, str]]) -> None:
    """The worst wear the attributes show, unless a standard source already gave it."""
    if facts.get("percentage_used") is None and attributes:
        used, source = max(attributes)
        facts["percentage_used"], facts["wear_source"] = used, f"attribute {source}"


def _self_tests_from_text(text: str) -> list[SelfTestEntry]:
    entries = []
    for line in text.splitlines():
        match = _SELF_TEST.match(line) or _NVME_SELF_TEST.match(line)
        if match:
            status = match[2].strip()
            entries.append(
                SelfTestEntry(
                    kind=match[1].strip(), status=status, outcome=self_test_outcome(status)
                )
            )
    return entries


def facts_from_json(doc: dict[str, Any]) -> SmartFacts:
    """Facts from `smartctl --json` output (`-a` or `-x`)."""
    smartctl = doc.get("smartctl", {})
    exit_status = smartctl.get("exit_status")
    messages = " ".join(m.get("string", "") for m in smartctl.get("messages", []))
    for marker, reason in _UNSUPPORTED_TEXT:
        if marker in messages:
            return SmartFacts(supported=False, unsupported_reason=reason, exit_status=exit_status)
    if doc.get("smart_support", {}).get("available") is False:
        return SmartFacts(
            supported=False, unsupported_reason="the device has no SMART", exit_status=exit_status
        )
    protocol = str(doc.get("device", {}).get("protocol", "")).lower()
    facts: dict[str, Any] = {
        "exit_status": exit_status,
        "protocol": protocol if protocol in ("ata", "nvme", "scsi") else "unknown",
        "model": doc.get("model_name") or doc.get("scsi_model_name"),
        "model_family": doc.get("model_family"),
        "serial": doc.get("serial_number"),
        "firmware": doc.get("firmware_version"),
        "overall_passed": doc.get("smart_status", {}).get("passed"),
        "smart_enabled": doc.get("smart_support", {}).get("enabled"),
    }
    failing_now, failed_past = [], []
    targets = {
        REALLOCATED: "reallocated_sectors",
        PENDING: "pending_sectors",
        OFFLINE_UNCORRECTABLE: "offline_uncorrectable",
    }
    wear_seen: list[tuple[int, str]] = []
    for page in doc.get("ata_device_statistics", {}).get("pages", []):
        for stat in page.get("table", []):
            if stat.get("name") == ENDURANCE_STAT and isinstance(stat.get("value"), int):
                facts["percentage_used"], facts["wear_source"] = stat["value"], "device statistics"
    scsi_used = doc.get("scsi_percentage_used_endurance_indicator")
    if isinstance(scsi_used, int):
        facts["percentage_used"], facts["wear_source"] = scsi_used, "scsi"
    for attr in doc.get("ata_smart_attributes", {}).get("table", []):
        wear = wear_from_attribute(attr.get("id", 0), attr.get("name", ""), attr.get("value", 100))
        if wear is not None:
            wear_seen.append((wear, f"{attr.get('id')} {attr.get('name')}"))
        when = attr.get("when_failed", "")
        if when == "now":
            failing_now.append(attr["name"])
        elif when == "past":
            failed_past.append(attr["name"])
        if attr.get("id") in targets:
            facts[targets[attr["id"]]] = attr.get("raw", {}).get("value")
    facts["failing_now"], facts["failed_in_past"] = tuple(failing_now), tuple(failed_past)
    _set_wear(facts, wear_seen)
    health = doc.get("nvme_smart_health_information_log")
    if health:
        facts["wear_source"] = "nvme"
        for key in (
            "percentage_used",
            "available_spare",
            "available_spare_threshold",
            "media_errors",
        ):
            facts[key] = health.get(key)
        facts["nvme_critical_warning"] = health.get("critical_warning")
    facts["grown_defects"] = doc.get("scsi_grown_defect_list")
    facts["self_tests"] = tuple(_self_tests_from_json(doc))
    status = doc.get("ata_smart_data", {}).get("self_test", {}).get("status", {})
    if "remaining_percent" in status:
        facts["self_test_running"] = True
        facts["self_test_remaining_percent"] = status["remaining_percent"]
    return SmartFacts(**facts)


def _self_tests_from_json(doc: dict[str, Any]) -> list[SelfTestEntry]:
    log = doc.get("ata_smart_self_test_log", {})
    table = (log.get("extended") or log.get("standard") or {}).get("table", [])
    nvme = doc.get("nvme_self_test_log", {}).get("table", [])
    entries = []
    for row in table:
        status = row.get("status", {})
        text = status.get("string", "?")
        outcome = self_test_outcome(text)
        if outcome == "unknown" and "passed" in status:
            # smartctl's own judgement of a status it could not name.
            outcome = "passed" if status["passed"] else "failed"
        entries.append(
            SelfTestEntry(kind=row.get("type", {}).get("string", "?"), status=text, outcome=outcome)
        )
    for row in nvme:
        result = row.get("self_test_result", {}).get("string", "?")
        entries.append(
            SelfTestEntry(
                kind=row.get("self_test_code", {}).get("string", "?"),
                status=result,
                outcome=self_test_outcome(result),
            )
        )
    return entries


class NotSmartctlOutput(ValueError):
    """The text is neither smartctl's JSON nor its text output."""


# Lines only smartctl prints: its banner, its section headers, its NVMe/SCSI titles.
_SMARTCTL_MARKERS = (
    re.compile(r"^smartctl \d+\.\d+", re.M),
    re.compile(r"^=== START OF (INFORMATION|READ SMART DATA|SMART DATA) SECTION ===", re.M),
    re.compile(r"^SMART overall-health self-assessment test result:", re.M),
    re.compile(r"^SMART/Health Information \(NVMe Log 0x02", re.M),
    re.compile(r"^SMART (Attributes Data Structure|Self-test log structure)", re.M),
)


def facts_from_saved(text: str) -> tuple[SmartFacts, Literal["json", "text"]]:
    """Facts from a saved smartctl output: `--json` (any of -a/-x/-H...) or the text of
    -x / -a. NotSmartctlOutput for anything else, so a wrong file is never judged."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise NotSmartctlOutput(
                f"JSON that does not parse ({exc.msg}, line {exc.lineno})"
            ) from exc
        if not isinstance(doc, dict) or "smartctl" not in doc:
            raise NotSmartctlOutput('JSON without smartctl\'s "smartctl" block')
        return facts_from_json(doc), "json"
    if not any(marker.search(text) for marker in _SMARTCTL_MARKERS):
        raise NotSmartctlOutput("no smartctl banner, section or health line")
    return facts_from_text(text), "text"


# `mmc extcsd read`: "eMMC Life Time Estimation A [EXT_CSD_DEVICE_LIFE_TIME_EST_TYP_A]: 0x01"
# (older mmc-utils: "Device life time estimation type A [...]").
_EXTCSD_FIELD = r"\[EXT_CSD_{name}\]:\s*(0x[0-9a-fA-F]+)"


def _extcsd(text: str, name: str) -> int | None:
    match = re.search(_EXTCSD_FIELD.format(name=name), text)
    return int(match.group(1), 16) if match else None


def life_band_used(band: int | None) -> int | None:
    """JEDEC life-time band -> percent of rated life used (its lower bound): 0x01 is
    0-10 %, 0x0A 90-100 %, 0x0B beyond; 0x00 and reserved values are 'not reported'."""
    if band is None or not 0x01 <= band <= 0x0B:
        return None
    return (band - 1) * 10


def facts_from_extcsd(text: str) -> SmartFacts:
    """eMMC health from `mmc extcsd read` (EXT_CSD rev >= 7: eMMC 5.0 and later)."""
    bands = [
        _extcsd(text, "DEVICE_LIFE_TIME_EST_TYP_A"),
        _extcsd(text, "DEVICE_LIFE_TIME_EST_TYP_B"),
    ]
    pre_eol = _extcsd(text, "PRE_EOL_INFO")
    used = [u for u in map(life_band_used, bands) if u is not None]
    if not used and pre_eol in (None, 0):
        return SmartFacts(
            supported=False,
            protocol="emmc",
            unsupported_reason="this eMMC reports no life-time estimate (before eMMC 5.0)",
        )
    return SmartFacts(
        protocol="emmc",
        # eMMC has no pass/fail of its own: it reported, and PRE_EOL_INFO and the wear
        # bands are judged like any other drive's spare and wear.
        overall_passed=True,
        percentage_used=max(used) if used else None,
        wear_source="eMMC life-time estimate" if used else None,
        emmc_pre_eol=pre_eol,
    )
