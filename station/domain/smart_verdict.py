"""A drive's health verdict from its SMART facts: PASS, WARN, FAIL or NOT_SUPPORTED.

The verdict is what a trainee acts on: PASS reuse, WARN reuse only after a human looked
at the reasons, FAIL do not reuse, NOT_SUPPORTED the drive cannot tell (virtio, USB
bridges without pass-through): say so, never guess. Every verdict other than PASS
carries its reasons, in French and English.
"""

from __future__ import annotations

from enum import IntFlag, StrEnum

from pydantic import BaseModel, ConfigDict

from station.domain.smart_facts import SmartFacts
from station.domain.text import LocalizedText

PERCENT_USED_WARN = 80
PERCENT_USED_FAIL = 100
# Thousands of sectors the drive cannot read or has already replaced: a disk that says
# PASSED with this many is on its way out, not merely "to look at".
SECTORS_FAIL = 1000

_WEAR_SOURCE_FR = {
    "eMMC life-time estimate": "estimation de durée de vie eMMC",
    "nvme": "journal NVMe",
    "device statistics": "statistiques du disque",
    "scsi": "indicateur SCSI",
}


class SmartctlExit(IntFlag):
    """smartctl's exit status is a bit mask (smartctl(8), "RETURN VALUES")."""

    COMMAND_LINE = 1 << 0  # the command line did not parse
    OPEN_FAILED = 1 << 1  # device open failed, or device in a low-power mode
    COMMAND_FAILED = 1 << 2  # some SMART or ATA command failed, or a checksum error
    DISK_FAILING = 1 << 3  # SMART status check returned "DISK FAILING"
    PREFAIL_NOW = 1 << 4  # a prefail attribute is at or below its threshold
    USAGE_PAST = 1 << 5  # an attribute was at or below its threshold in the past
    ERROR_LOG = 1 << 6  # the device error log has entries
    SELF_TEST_LOG = 1 << 7  # the self-test log has errors


def decode_exit_status(status: int) -> list[SmartctlExit]:
    return [bit for bit in SmartctlExit if status & bit]


class Verdict(StrEnum):
    PASS = "PASS"  # noqa: S105 (a verdict, not a password)
    WARN = "WARN"
    FAIL = "FAIL"
    NOT_SUPPORTED = "NOT_SUPPORTED"


class VerdictReason(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    severity: Verdict
    message: LocalizedText


class SmartVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    verdict: Verdict
    reasons: tuple[VerdictReason, ...] = ()


def _reason(code: str, severity: Verdict, fr: str, en: str) -> VerdictReason:
    return VerdictReason(code=code, severity=severity, message=LocalizedText(fr=fr, en=en))


# NVMe Critical Warning bits (NVMe base spec, SMART / Health log byte 0).
_NVME_WARNING_BITS = (
    (
        0,
        "nvme_spare_low",
        Verdict.FAIL,
        "réserve de secours sous le seuil",
        "available spare below threshold",
    ),
    (
        1,
        "nvme_temperature",
        Verdict.WARN,
        "température hors limites",
        "temperature outside its limits",
    ),
    (
        2,
        "nvme_reliability",
        Verdict.FAIL,
        "fiabilité du disque dégradée",
        "NVM subsystem reliability degraded",
    ),
    (
        3,
        "nvme_read_only",
        Verdict.FAIL,
        "le disque s'est mis en lecture seule",
        "media placed in read-only mode",
    ),
    (
        4,
        "nvme_volatile_backup",
        Verdict.WARN,
        "sauvegarde de la mémoire volatile en échec",
        "volatile memory backup failed",
    ),
    (
        5,
        "nvme_pmr_read_only",
        Verdict.FAIL,
        "mémoire persistante en lecture seule",
        "persistent memory region read-only",
    ),
)


def judge(facts: SmartFacts) -> SmartVerdict:
    """The verdict and every reason for it; the worst reason decides."""
    if not facts.supported:
        why = facts.unsupported_reason or "no SMART"
        return SmartVerdict(
            verdict=Verdict.NOT_SUPPORTED,
            reasons=(
                _reason(
                    "not_supported",
                    Verdict.NOT_SUPPORTED,
                    f"santé non lisible : {why}",
                    f"health not readable: {why}",
                ),
            ),
        )
    reasons = [*_health_reasons(facts), *_ata_reasons(facts), *_nvme_reasons(facts)]
    reasons += _wear_reasons(facts)
    reasons += _emmc_reasons(facts)
    reasons += _self_test_reasons(facts)
    if facts.grown_defects:
        reasons.append(
            _reason(
                "grown_defects",
                Verdict.WARN,
                f"{facts.grown_defects} défauts apparus (SCSI)",
                f"{facts.grown_defects} grown defects (SCSI)",
            )
        )
    if any(r.severity is Verdict.FAIL for r in reasons):
        verdict = Verdict.FAIL
    elif reasons:
        verdict = Verdict.WARN
    elif facts.overall_passed is None and facts.smart_enabled is False:
        return SmartVerdict(
            verdict=Verdict.NOT_SUPPORTED,
            reasons=(
                _reason(
                    "smart_disabled",
                    Verdict.NOT_SUPPORTED,
                    "SMART est désactivé sur le disque et n'a pas pu être réactivé",
                    "SMART is switched off on the drive and could not be switched on",
                ),
            ),
        )
    elif facts.overall_passed is None:
        # No health status and nothing wrong found means nothing was read, not PASS
        # (e.g. smartctl could not open the device: exit bits 0/1).
        return SmartVerdict(
            verdict=Verdict.NOT_SUPPORTED,
            reasons=(
                _reason(
                    "no_health",
                    Verdict.NOT_SUPPORTED,
                    "le disque ne donne pas d'état de santé",
                    "the drive reports no health status",
                ),
            ),
        )
    else:
        verdict = Verdict.PASS
    return SmartVerdict(verdict=verdict, reasons=tuple(_unique(reasons)))


def _unique(reasons: list[VerdictReason]) -> list[VerdictReason]:
    seen: set[str] = set()
    return [r for r in reasons if not (r.code in seen or seen.add(r.code))]  # type: ignore[func-returns-value]


def _health_reasons(facts: SmartFacts) -> list[VerdictReason]:
    reasons = []
    bits = decode_exit_status(facts.exit_status or 0)
    if facts.overall_passed is False or SmartctlExit.DISK_FAILING in bits:
        reasons.append(
            _reason(
                "overall_failed",
                Verdict.FAIL,
                "le disque se déclare défaillant (auto-évaluation SMART)",
                "the drive reports itself failing (SMART overall health)",
            )
        )
    if facts.failing_now or SmartctlExit.PREFAIL_NOW in bits:
        names = ", ".join(facts.failing_now) or "?"
        reasons.append(
            _reason(
                "attribute_failing_now",
                Verdict.FAIL,
                f"attribut sous son seuil maintenant : {names}",
                f"attribute below its threshold now: {names}",
            )
        )
    if facts.failed_in_past or SmartctlExit.USAGE_PAST in bits:
        names = ", ".join(facts.failed_in_past) or "?"
        reasons.append(
            _reason(
                "attribute_failed_past",
                Verdict.WARN,
                f"attribut passé sous son seuil autrefois : {names}",
                f"attribute was below its threshold in the past: {names}",
            )
        )
    if SmartctlExit.SELF_TEST_LOG in bits:
        reasons.append(
            _reason(
                "self_test_log_errors",
                Verdict.WARN,
                "le journal des autotests contient des erreurs",
                "the self-test log has errors",
            )
        )
    return reasons


def _ata_reasons(facts: SmartFacts) -> list[VerdictReason]:
    reasons = []
    for value, code, fr, en in (
        (facts.reallocated_sectors, "reallocated", "secteurs réalloués", "reallocated sectors"),
        (
            facts.pending_sectors,
            "pending",
            "secteurs en attente de réallocation",
            "sectors pending reallocation",
        ),
        (
            facts.offline_uncorrectable,
            "offline_uncorrectable",
            "secteurs illisibles",
            "offline uncorrectable sectors",
        ),
    ):
        if value:
            severity = Verdict.FAIL if value >= SECTORS_FAIL else Verdict.WARN
            reasons.append(_reason(code, severity, f"{value} {fr}", f"{value} {en}"))
    return reasons


def _emmc_reasons(facts: SmartFacts) -> list[VerdictReason]:
    """PRE_EOL_INFO: the reserved blocks an eMMC replaces bad ones with."""
    if facts.emmc_pre_eol == 2:
        return [
            _reason(
                "emmc_pre_eol_warning",
                Verdict.WARN,
                "eMMC : 80 % des blocs de réserve consommés",
                "eMMC: 80% of reserved blocks consumed",
            )
        ]
    if facts.emmc_pre_eol == 3:
        return [
            _reason(
                "emmc_pre_eol_urgent",
                Verdict.FAIL,
                "eMMC : 90 % des blocs de réserve consommés (fin de vie)",
                "eMMC: 90% of reserved blocks consumed (end of life)",
            )
        ]
    return []


def _wear_reasons(facts: SmartFacts) -> list[VerdictReason]:
    """Wear the same way for NVMe, SATA SSD (Device Statistics or vendor attribute) and
    SAS: a SATA SSD at 95 % is as worn as an NVMe at 95 %."""
    used = facts.percentage_used
    if used is None:
        return []
    source = facts.wear_source or "nvme"
    source_fr = _WEAR_SOURCE_FR.get(source, source.replace("attribute", "attribut"))
    if used >= PERCENT_USED_FAIL:
        return [
            _reason(
                "worn_out",
                Verdict.FAIL,
                f"usé : {used} % de sa durée de vie prévue ({source_fr})",
                f"worn out: {used}% of rated life used ({source})",
            )
        ]
    if used >= PERCENT_USED_WARN:
        return [
            _reason(
                "worn",
                Verdict.WARN,
                f"usure avancée : {used} % ({source_fr})",
                f"heavily worn: {used}% used ({source})",
            )
        ]
    return []


def _nvme_reasons(facts: SmartFacts) -> list[VerdictReason]:
    reasons = []
    warning = facts.nvme_critical_warning or 0
    for bit, code, severity, fr, en in _NVME_WARNING_BITS:
        if warning & (1 << bit):
            reasons.append(
                _reason(
                    code, severity, f"alerte critique NVMe : {fr}", f"NVMe critical warning: {en}"
                )
            )
    spare, threshold = facts.available_spare, facts.available_spare_threshold
    if spare is not None and threshold is not None and spare < threshold:
        reasons.append(
            _reason(
                "nvme_spare_low",
                Verdict.FAIL,
                f"réserve {spare} % sous le seuil {threshold} %",
                f"available spare {spare}% below threshold {threshold}%",
            )
        )
    if facts.media_errors:
        reasons.append(
            _reason(
                "media_errors",
                Verdict.WARN,
                f"{facts.media_errors} erreurs de données non corrigées (support)",
                f"{facts.media_errors} media and data integrity errors",
            )
        )
    return reasons


def _self_test_reasons(facts: SmartFacts) -> list[VerdictReason]:
    """The newest entry decides; an aborted or running test says nothing about the drive,
    so the newest finished one is looked at, and an older failure is still worth a look."""
    entries = facts.self_tests
    if not entries:
        return []
    latest = entries[0]
    if latest.outcome == "failed":
        return [
            _reason(
                "self_test_failed",
                Verdict.FAIL,
                f"dernier autotest en échec : {latest.status}",
                f"latest self-test failed: {latest.status}",
            )
        ]
    reasons = []
    if latest.outcome == "unknown":
        reasons.append(
            _reason(
                "self_test_unknown",
                Verdict.WARN,
                f"résultat du dernier autotest inconnu : {latest.status}",
                f"latest self-test result unknown: {latest.status}",
            )
        )
    failed = [entry for entry in entries[1:] if entry.outcome == "failed"]
    if failed:
        reasons.append(
            _reason(
                "earlier_self_test_failed",
                Verdict.WARN,
                f"un autotest précédent a échoué : {failed[0].status}",
                f"an earlier self-test failed: {failed[0].status}",
            )
        )
    return reasons


# What a reason says was seen, in the words a record and a screen use (issue 13: a WARN
# is not always "worn", a FAIL not always "failing").
SEEN_BY_CODE = {
    "worn": "worn",
    "worn_out": "worn_out",
    "media_errors": "media_errors",
    "reallocated": "media_errors",
    "pending": "media_errors",
    "offline_uncorrectable": "media_errors",
    "grown_defects": "media_errors",
    "nvme_reliability": "reliability_degraded",
    "nvme_spare_low": "spare_low",
    "nvme_read_only": "read_only",
    "nvme_pmr_read_only": "read_only",
    "self_test_failed": "self_test_failed",
    "earlier_self_test_failed": "self_test_failed",
    "self_test_log_errors": "self_test_failed",
    "self_test_unknown": "self_test_unknown",
    "overall_failed": "reports_failing",
    "attribute_failing_now": "reports_failing",
    "attribute_failed_past": "attribute_past",
    "nvme_temperature": "temperature",
    "nvme_volatile_backup": "backup_failed",
    "smart_disabled": "smart_disabled",
    "emmc_pre_eol_warning": "spare_low",
    "emmc_pre_eol_urgent": "spare_low",
}
SEEN_WORDS = {
    "worn": ("usé", "worn"),
    "worn_out": ("usé jusqu'au bout", "worn out"),
    "media_errors": ("erreurs du support", "media errors"),
    "reliability_degraded": ("fiabilité dégradée", "reliability degraded"),
    "spare_low": ("réserve basse", "spare low"),
    "read_only": ("lecture seule", "read-only"),
    "self_test_failed": ("autotest en échec", "self-test failed"),
    "self_test_unknown": ("autotest inconnu", "self-test unknown"),
    "reports_failing": ("se déclare défaillant", "reports itself failing"),
    "attribute_past": ("seuil dépassé autrefois", "threshold crossed in the past"),
    "temperature": ("température", "temperature"),
    "backup_failed": ("sauvegarde en échec", "backup failed"),
    "smart_disabled": ("SMART désactivé", "SMART switched off"),
}


def seen(verdict: SmartVerdict) -> tuple[str, ...]:
    """What was actually seen, worst reasons first, each said once."""
    ordered = sorted(verdict.reasons, key=lambda r: r.severity is not Verdict.FAIL)
    words: list[str] = []
    for reason in ordered:
        word = SEEN_BY_CODE.get(reason.code)
        if word is not None and word not in words:
            words.append(word)
    return tuple(words)


def seen_text(verdict: SmartVerdict) -> LocalizedText:
    words = [SEEN_WORDS[w] for w in seen(verdict)]
    return LocalizedText(
        fr=", ".join(fr for fr, _en in words) or "rien de particulier",
        en=", ".join(en for _fr, en in words) or "nothing in particular",
    )
