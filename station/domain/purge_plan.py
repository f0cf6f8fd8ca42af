"""Which sanitization a disk gets: Purge by its firmware where possible, else Clear.

Pure: (media kind, bus, capabilities parsed from hdparm / nvme-cli, profile) -> an
ordered plan with an honest label. It follows the media table of docs/sanitization.md; a
technique that is only Clear is never labelled Purge, and when Purge is not possible
the plan says why in plain words (French and English).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.drive_capabilities import (
    AtaCapabilities,
    EmmcCapabilities,
    HpaState,
    NvmeCapabilities,
)
from station.domain.profiles import PurgeSpec, WipeProfile
from station.domain.text import LocalizedText


class Technique(StrEnum):
    OVERWRITE = "overwrite"
    BLOCK_ERASE = "block erase"
    CRYPTO_ERASE = "crypto erase"
    FORMAT = "format"
    SECURITY_ERASE = "security erase"


class StepKind(StrEnum):
    RESTORE_NATIVE_MAX = "restore_native_max"  # hdparm -N p<native>
    UNFREEZE = "unfreeze"  # operator: suspend/resume (rtcwake) or replug, then re-read
    PLANT_WATERMARKS = "plant_watermarks"
    ATA_SANITIZE = "ata_sanitize"
    ATA_SECURITY_ERASE = "ata_security_erase"
    NVME_SANITIZE = "nvme_sanitize"
    NVME_FORMAT = "nvme_format"
    EMMC_SANITIZE = "emmc_sanitize"  # blkdiscard of the user area, then mmc sanitize
    CHECK_WATERMARKS = "check_watermarks"
    READ_BACK = "read_back"  # sampled, accepting zeros / ones / a periodic pattern
    OVERWRITE = "overwrite"  # the profile's passes and verification (Clear)


class PlanStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: StepKind
    action: str | None = None  # e.g. "block_erase", "crypto_scramble", "enhanced", "ses=2"
    operator_action: bool = False


class PurgePlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["purge", "clear"]
    technique: Technique
    steps: tuple[PlanStep, ...]
    label: LocalizedText
    reason: LocalizedText | None = None  # why Purge is not possible (when method is clear)
    fallback: Literal["clear", "fail"] = "clear"

    @property
    def firmware_step(self) -> PlanStep | None:
        firmware = (
            StepKind.ATA_SANITIZE,
            StepKind.ATA_SECURITY_ERASE,
            StepKind.NVME_SANITIZE,
            StepKind.NVME_FORMAT,
            StepKind.EMMC_SANITIZE,
        )
        return next((s for s in self.steps if s.kind in firmware), None)


Capabilities = AtaCapabilities | NvmeCapabilities | EmmcCapabilities | None


def _t(fr: str, en: str) -> LocalizedText:
    return LocalizedText(fr=fr, en=en)


# Technique names as IEEE 2883-2022 and NIST SP 800-88 Rev. 2 (which refers to it) give
# them, with the command family that runs them.
_IEEE_NAME = {
    Technique.OVERWRITE: "Overwrite",
    Technique.BLOCK_ERASE: "Block Erase",
    Technique.CRYPTO_ERASE: "Cryptographic Erase",
    Technique.FORMAT: "User Data Erase",
    Technique.SECURITY_ERASE: "Security Erase Unit",
}
_COMMAND = {
    StepKind.NVME_SANITIZE: "NVMe Sanitize",
    StepKind.ATA_SANITIZE: "ATA Sanitize",
    StepKind.NVME_FORMAT: "NVMe Format NVM",
    StepKind.ATA_SECURITY_ERASE: "ATA Security",
    StepKind.EMMC_SANITIZE: "eMMC Erase + Sanitize",
}
_TECHNIQUE_FR = {
    Technique.OVERWRITE: "réécriture",
    Technique.BLOCK_ERASE: "effacement des blocs",
    Technique.CRYPTO_ERASE: "effacement cryptographique",
    Technique.FORMAT: "formatage sécurisé",
    Technique.SECURITY_ERASE: "effacement sécurisé ATA",
}

CONNECT_NATIVE = _t(
    "brancher le disque en SATA/NVMe (pas par USB) pour le purger", "connect to SATA/NVMe to purge"
)
FROZEN = _t("disque gelé par le BIOS (frozen)", "drive frozen")
NO_SANITIZE = _t("pas de commande d'effacement du firmware utilisable", "no sanitize support")


def plan_for(
    identity: DiskIdentity,
    capabilities: Capabilities,
    profile: WipeProfile,
    *,
    hpa: HpaState | None = None,
) -> PurgePlan:
    """The plan for this disk under this profile."""
    spec = profile.purge or PurgeSpec()
    prefix: list[PlanStep] = []
    if hpa is not None and hpa.hpa_enabled and spec.restore_native_max:
        prefix.append(PlanStep(kind=StepKind.RESTORE_NATIVE_MAX, action=str(hpa.native_sectors)))
    if profile.method != "purge":
        return _clear(prefix, spec, None)
    choice = _purge_choice(identity, capabilities)
    if isinstance(choice, LocalizedText):
        return _clear(prefix, spec, choice)
    technique, firmware, needs_unfreeze = choice
    steps = [*prefix]
    if needs_unfreeze:
        steps.append(PlanStep(kind=StepKind.UNFREEZE, operator_action=True))
    steps += [
        PlanStep(kind=StepKind.PLANT_WATERMARKS),
        firmware,
        PlanStep(kind=StepKind.CHECK_WATERMARKS),
        PlanStep(kind=StepKind.READ_BACK),
    ]
    command = _COMMAND[firmware.kind]
    return PurgePlan(
        method="purge",
        technique=technique,
        steps=tuple(steps),
        label=_t(
            f"Purge ({command}, {_TECHNIQUE_FR[technique]} — {_IEEE_NAME[technique]})",
            f"Purge ({command}, {_IEEE_NAME[technique]})",
        ),
        fallback=spec.fallback,
    )


def _clear(prefix: list[PlanStep], spec: PurgeSpec, reason: LocalizedText | None) -> PurgePlan:
    return PurgePlan(
        method="clear",
        technique=Technique.OVERWRITE,
        steps=(*prefix, PlanStep(kind=StepKind.OVERWRITE)),
        label=_t("Clear (réécriture — Overwrite)", "Clear (Overwrite)"),
        reason=reason,
        fallback=spec.fallback,
    )


Choice = tuple[Technique, PlanStep, bool] | LocalizedText


def _purge_choice(identity: DiskIdentity, caps: Capabilities) -> Choice:
    kind, bus = identity.media_kind, identity.bus
    if kind in (MediaKind.USB_FLASH, MediaKind.SD):
        return _t(
            "clé USB / carte SD : pas de purge standard, détruire pour atteindre Purge",
            "USB stick / SD card: no standard purge; destroy to reach Purge",
        )
    if kind is MediaKind.VIRTUAL or bus in (Bus.VIRTIO, Bus.LOOP, Bus.FILE):
        return _t("disque virtuel : pas de commande firmware", "virtual disk: no firmware command")
    if bus is Bus.USB:
        # Bridges drop pass-through or reset during long commands (pitfall 3).
        return CONNECT_NATIVE
    if kind is MediaKind.EMMC:
        return _emmc_choice(caps)
    if isinstance(caps, NvmeCapabilities):
        return _nvme_choice(caps)
    if isinstance(caps, AtaCapabilities) and bus is Bus.ATA:
        solid = caps.solid_state if caps.solid_state is not None else kind is MediaKind.SSD
        return _ata_ssd_choice(caps) if solid else _ata_hdd_choice(caps)
    return NO_SANITIZE


def _firmware(technique: Technique, kind: StepKind, action: str) -> Choice:
    return technique, PlanStep(kind=kind, action=action), False


def _emmc_choice(caps: Capabilities) -> Choice:
    if isinstance(caps, EmmcCapabilities) and caps.sanitize_supported:
        return _firmware(Technique.BLOCK_ERASE, StepKind.EMMC_SANITIZE, "erase_sanitize")
    if isinstance(caps, EmmcCapabilities):
        return _t(
            "eMMC sans commande SANITIZE (antérieure à eMMC 4.5) : seulement un Clear",
            "eMMC without SANITIZE (before eMMC 4.5): only Clear",
        )
    return _t(
        "eMMC : registre EXT_CSD illisible (mmc-utils absent ?) : seulement un Clear",
        "eMMC: EXT_CSD unreadable (mmc-utils missing?): only Clear",
    )


def _nvme_choice(caps: NvmeCapabilities) -> Choice:
    # Pitfall 8: Sanitize always erases every namespace of the controller, and so does
    # Format when FNA bits 0/1 say so. Another namespace is another disk in Station's
    # eyes (it may be mounted, or in another job), so such commands are only sent to a
    # controller seen with exactly one namespace.
    whole = caps.single_namespace
    if whole and caps.sanitize_crypto_erase:
        return _firmware(Technique.CRYPTO_ERASE, StepKind.NVME_SANITIZE, "crypto_erase")
    if whole and caps.sanitize_block_erase:
        return _firmware(Technique.BLOCK_ERASE, StepKind.NVME_SANITIZE, "block_erase")
    format_ok = caps.format_supported and (
        whole or not (caps.format_all_namespaces or caps.secure_erase_all_namespaces)
    )
    if format_ok and caps.format_crypto_erase:
        # Pitfall 7: SANICAP=0 yet Format with crypto erase; labelled as such.
        return _firmware(Technique.CRYPTO_ERASE, StepKind.NVME_FORMAT, "ses=2")
    if format_ok:
        # The media table of docs/sanitization.md: else Format NVM SES=1. A user data
        # erase is labelled "format", never "crypto erase", and the watermarks and the
        # read-back still decide whether it really purged.
        return _firmware(Technique.FORMAT, StepKind.NVME_FORMAT, "ses=1")
    if caps.sanitize_supported or caps.format_supported:
        return _namespaces_refusal(caps.active_namespaces)
    return _t(
        "NVMe sans sanitize ni formatage sécurisé : seulement un Clear",
        "NVMe without sanitize or secure format: only Clear",
    )


def _namespaces_refusal(count: int | None) -> LocalizedText:
    if count is None:
        return _t(
            "NVMe : nombre d'espaces de noms inconnu, une purge pourrait effacer un autre "
            "disque du même contrôleur ; seulement un Clear",
            "NVMe: namespace count unknown, a purge could erase another disk of the same "
            "controller; only Clear",
        )
    return _t(
        f"NVMe avec {count} espaces de noms : la purge les effacerait tous ; seulement un "
        "Clear de celui-ci (le responsable peut les réunir en un seul avec nvme-cli)",
        f"NVMe with {count} namespaces: a purge would erase them all; only Clear of this "
        "one (a supervisor can merge them into one with nvme-cli)",
    )


def _ata_ssd_choice(caps: AtaCapabilities) -> Choice:
    if caps.sanitize_crypto_scramble:
        return _firmware(Technique.CRYPTO_ERASE, StepKind.ATA_SANITIZE, "crypto_scramble")
    if caps.sanitize_block_erase:
        return _firmware(Technique.BLOCK_ERASE, StepKind.ATA_SANITIZE, "block_erase")
    # SECURITY ERASE UNIT on flash is Clear only (media table): no Purge.
    return NO_SANITIZE


def _ata_hdd_choice(caps: AtaCapabilities) -> Choice:
    if caps.sanitize_overwrite:
        return _firmware(Technique.OVERWRITE, StepKind.ATA_SANITIZE, "overwrite")
    security = caps.security
    if security is not None and security.supported:
        if security.locked or security.enabled:
            return _t(
                "disque protégé par un mot de passe inconnu",
                "drive protected by an unknown password",
            )
        action = "enhanced" if security.enhanced_erase_supported else "normal"
        step = PlanStep(kind=StepKind.ATA_SECURITY_ERASE, action=action)
        return Technique.SECURITY_ERASE, step, security.frozen
    if caps.encrypts_all_user_data and caps.sanitize_crypto_scramble:
        return _firmware(Technique.CRYPTO_ERASE, StepKind.ATA_SANITIZE, "crypto_scramble")
    return NO_SANITIZE
