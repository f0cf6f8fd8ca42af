"""May Station write to this disk? A pure decision over gathered facts, with every reason.

The devices layer (station.devices.safety) gathers `DiskFacts`; `decide` lists each check
that failed as a `Refusal` (a stable code plus a French and English message). A disk is
eligible only when there is no refusal at all.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from station.domain.boot_medium import BootMedium
from station.domain.text import LocalizedText


class RefusalCode(StrEnum):
    NOT_A_DISK = "not_a_disk"
    BOOT_MEDIUM = "boot_medium"
    BOOT_MEDIUM_UNCLEAR = "boot_medium_unclear"
    SYSTEM_DISK = "system_disk"
    BACKS_ROOT = "backs_root"
    MOUNTED = "mounted"
    SWAP = "swap"
    HOLDERS = "holders"
    BACKS_LOOP = "backs_loop"
    READ_ONLY = "read_only"
    ZERO_SIZE = "zero_size"
    SANITIZE_IN_PROGRESS = "sanitize_in_progress"


class Refusal(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: RefusalCode
    message: LocalizedText

    def text(self, lang: str = "en") -> str:
        return self.message.get(lang)


class Eligibility(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    eligible: bool
    reasons: list[Refusal] = Field(default_factory=list)

    @property
    def codes(self) -> list[RefusalCode]:
        return [reason.code for reason in self.reasons]

    def reason_texts(self, lang: str = "en") -> list[str]:
        return [reason.text(lang) for reason in self.reasons]


class DiskFacts(BaseModel):
    """What the devices layer found out about one target, ready to be judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    is_file: bool = False  # a regular file standing for a disk (simulated bench)
    is_whole_disk: bool = True  # False for a partition, a character device, a directory
    kind_detail: LocalizedText | None = None  # what it is instead, when not a whole disk
    size_bytes: int = 0
    read_only: bool = False
    mounts: list[str] = Field(default_factory=list)  # "loop0p1 on /mnt/data"
    swaps: list[str] = Field(default_factory=list)
    holders: list[str] = Field(default_factory=list)  # "dm-0 (on loop0p2)"
    # Loop devices resting on it, outside holders/: "loop0 → loop1", "sdb → loop3 (/x.img)"
    backs: list[str] = Field(default_factory=list)
    sanitize_in_progress: bool = False
    boot: BootMedium = Field(default_factory=lambda: BootMedium(live=False))


def _refusal(code: RefusalCode, fr: str, en: str) -> Refusal:
    return Refusal(code=code, message=LocalizedText(fr=fr, en=en))


def _boot_refusals(facts: DiskFacts) -> list[Refusal]:
    boot = facts.boot
    found: list[Refusal] = []
    if boot.unclear is not None:
        found.append(
            _refusal(
                RefusalCode.BOOT_MEDIUM_UNCLEAR,
                "Station ne sait plus avec certitude quelle est sa clé de démarrage : par "
                "sécurité, aucun disque n'est proposé. La clé Station a-t-elle été "
                "retirée ? Remettez-la et redémarrez le banc, rien n'est perdu. "
                f"(Détail pour le formateur : {boot.unclear.fr}.)",
                "Station can no longer tell for sure which disk is its boot stick: to be "
                "safe, no disk is offered. Was the Station stick pulled? Put it back and "
                f"restart the bench, nothing is lost. (Detail: {boot.unclear.en}.)",
            )
        )
    if facts.name in boot.boot_disks:
        found.append(
            _refusal(
                RefusalCode.BOOT_MEDIUM,
                "C'est la clé de démarrage de Station : elle n'est jamais effacée.",
                "This is Station's boot medium: it is never erased.",
            )
        )
    if facts.name in boot.root_disks:
        if boot.live:
            found.append(
                _refusal(
                    RefusalCode.BACKS_ROOT,
                    "Le système en marche utilise ce disque (il porte « / »).",
                    "The running system uses this disk (it holds '/').",
                )
            )
        else:
            found.append(
                _refusal(
                    RefusalCode.SYSTEM_DISK,
                    "C'est le disque système de cet ordinateur (il porte « / »).",
                    "This is this computer's system disk (it holds '/').",
                )
            )
    return found


# Facts that refuse a disk on their own: (fact, code, French, English); a list-valued
# fact (mounts, swaps, holders) fills the {} with its details.
def _fact_refusals(facts: DiskFacts) -> list[Refusal]:
    table: tuple[tuple[list[str] | bool, RefusalCode, str, str], ...] = (
        (
            facts.mounts,
            RefusalCode.MOUNTED,
            "Disque en cours d'utilisation, monté : {}.",
            "Disk in use, mounted: {}.",
        ),
        (
            facts.swaps,
            RefusalCode.SWAP,
            "Disque utilisé comme mémoire d'échange (swap) : {}.",
            "Disk in use as swap: {}.",
        ),
        (
            facts.holders,
            RefusalCode.HOLDERS,
            "Disque pris par un autre volume (LVM, RAID ou chiffrement) : {}.",
            "Disk held by another volume (LVM, RAID or encryption): {}.",
        ),
        (
            facts.backs,
            RefusalCode.BACKS_LOOP,
            "Disque servant de support à un autre périphérique (loop) : {}.",
            "Disk backing another device (loop): {}.",
        ),
        (
            facts.read_only,
            RefusalCode.READ_ONLY,
            "Disque en lecture seule : on ne peut pas écrire dessus.",
            "Read-only disk: it cannot be written.",
        ),
        (
            facts.size_bytes == 0,
            RefusalCode.ZERO_SIZE,
            "Disque de taille nulle (vide, ou pas de support dans le lecteur).",
            "Disk of size zero (empty, or no media in the reader).",
        ),
        (
            facts.sanitize_in_progress,
            RefusalCode.SANITIZE_IN_PROGRESS,
            "Un effacement interne du disque est déjà en cours : attendre qu'il finisse.",
            "The drive is already running a sanitize: wait for it to finish.",
        ),
    )
    found = []
    for fact, code, fr, en in table:
        if fact:
            detail = "; ".join(fact) if isinstance(fact, list) else ""
            found.append(_refusal(code, fr.format(detail), en.format(detail)))
    return found


def decide(facts: DiskFacts) -> Eligibility:
    if not facts.is_whole_disk:
        what = facts.kind_detail or LocalizedText(fr="autre chose", en="something else")
        refusal = _refusal(
            RefusalCode.NOT_A_DISK,
            f"Ce n'est pas un disque entier ({what.fr}) : choisir le disque lui-même.",
            f"Not a whole disk ({what.en}): choose the disk itself.",
        )
        return Eligibility(eligible=False, reasons=[refusal])
    reasons: list[Refusal] = []
    if not facts.is_file:
        # A file cannot be the boot stick or hold '/': only block devices are judged here.
        reasons += _boot_refusals(facts)
    reasons += _fact_refusals(facts)
    return Eligibility(eligible=not reasons, reasons=reasons)
