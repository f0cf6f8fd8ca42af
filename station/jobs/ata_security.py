"""Every erase ends with ATA security disabled, checked by re-reading IDENTIFY.

A drive whose user password is still set (by a previous owner whose BIOS unlocked it at
boot, or by an erase that failed half-way) erases fine here, then locks at the next
power-on in the laptop of the family that receives it. So after any erase of an ATA
drive Station reads IDENTIFY; when security is enabled it tries the one password it can
know (its own temporary one, recorded by every Station erase), unlocking first when the
drive is locked, then reads IDENTIFY again. A drive whose password stays is not
reusable, and the operator is told so in plain words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from station.devices import ata
from station.devices.runner import CommandEvidence, Runner
from station.domain.text import LocalizedText
from station.errors import CommandError

log = logging.getLogger(__name__)

PASSWORD_LEFT = LocalizedText(
    fr=(
        "Un mot de passe ATA est resté sur le disque et Station n'a pas pu l'enlever : "
        "le disque se bloquerait au prochain démarrage chez le bénéficiaire. "
        "Ne pas le réemployer ; le responsable peut essayer le mot de passe maître du "
        "fabricant."
    ),
    en=(
        "An ATA password is still set on the drive and Station could not remove it: the "
        "drive would lock at the next power-on at the recipient's. Do not reuse it; a "
        "supervisor may try the manufacturer's master password."
    ),
)
IDENTIFY_UNREADABLE = LocalizedText(
    fr="Impossible de relire l'identification du disque pour vérifier son mot de passe ATA.",
    en="The drive's IDENTIFY could not be read again to check its ATA password.",
)


@dataclass
class SecurityCheck:
    """What IDENTIFY said before and after; `reusable` is False only when a password
    is still set (or IDENTIFY could not be read to say it is not)."""

    enabled_before: bool | None  # None: the drive has no ATA security feature
    disabled_afterwards: bool
    reusable: bool
    reason: LocalizedText | None = None
    evidence: list[CommandEvidence] = field(default_factory=list)

    @property
    def removed(self) -> bool:
        return bool(self.enabled_before) and self.disabled_afterwards


def ensure_security_disabled(
    path: str, runner: Runner, passwords: tuple[str, ...] = (ata.TEMPORARY_PASSWORD,)
) -> SecurityCheck:
    """Read IDENTIFY; if a password is set, try to remove it; read IDENTIFY again."""
    evidence: list[CommandEvidence] = []
    try:
        caps, identify = ata.read_identify(path, runner)
    except CommandError as exc:
        log.warning("ATA security check on %s: %s", path, exc)
        return SecurityCheck(None, False, False, IDENTIFY_UNREADABLE, evidence)
    evidence.append(identify)
    security = caps.security
    if security is None or not security.supported:
        return SecurityCheck(None, True, True, None, evidence)
    if not security.enabled:
        return SecurityCheck(False, True, True, None, evidence)
    for password in passwords:
        if security.locked:
            evidence.append(
                runner.run(
                    ["hdparm", "--user-master", "u", "--security-unlock", password, path],
                    timeout=ata.SHORT_COMMAND_TIMEOUT_S,
                )
            )
        ata.disable_security(path, runner, password, evidence)
        try:
            caps, identify = ata.read_identify(path, runner)
        except CommandError:
            return SecurityCheck(True, False, False, IDENTIFY_UNREADABLE, evidence)
        evidence.append(identify)
        security = caps.security
        if security is None or not security.enabled:
            log.info("ATA password removed from %s", path)
            return SecurityCheck(True, True, True, None, evidence)
    log.warning("ATA password still set on %s after trying the known passwords", path)
    return SecurityCheck(True, False, False, PASSWORD_LEFT, evidence)
