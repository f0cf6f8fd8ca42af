"""The certificate's vocabulary: every code a record carries (record kinds, media kinds,
buses, techniques, patterns, SMART verdicts) said in French or English, the method named
as NIST SP 800-88 Rev. 2 and IEEE 2883 name it, and the result said in plain words."""

from __future__ import annotations

from station.reports.wording import Lang, localized

NIST = "NIST SP 800-88 Rev. 2"

_TERMS = {
    # record kinds (the list of signed records)
    "disk_seen": localized("disque détecté", "disk seen"),
    "smart_assessment": localized("bilan SMART", "SMART assessment"),
    "self_test": localized("autotest du disque", "drive self-test"),
    "hpa_dco_change": localized("zone cachée HPA/DCO", "HPA/DCO change"),
    "purge_command": localized("commande d'effacement du firmware", "firmware sanitize command"),
    "overwrite_pass": localized("passe d'écrasement", "overwrite pass"),
    "verification": localized("vérification par relecture", "read-back verification"),
    "image_deploy": localized("déploiement de l'image", "image deploy"),
    "work_cancelled": localized("travail arrêté à la demande", "work stopped on request"),
    "licence_assignment": localized("attribution de licence", "licence assignment"),
    "host_inventory": localized("inventaire de la machine", "machine inventory"),
    "function_test": localized("test de fonctionnement", "function test"),
    "grade": localized("note de la machine", "machine grade"),
    "supervisor_signoff": localized("visa de l'encadrant", "supervisor sign-off"),
    "daily_checkpoint": localized("bilan du jour", "daily checkpoint"),
    # media kinds and buses
    "hdd": localized("disque dur (plateaux)", "hard disk (platters)"),
    "ssd": localized("SSD (mémoire flash)", "SSD (flash memory)"),
    "nvme": localized("SSD NVMe (mémoire flash)", "NVMe SSD (flash memory)"),
    "usb_flash": localized("clé USB (mémoire flash)", "USB flash drive"),
    "sd": localized("carte SD", "SD card"),
    "emmc": localized("mémoire eMMC soudée", "soldered eMMC"),
    "virtual": localized("disque virtuel (test)", "virtual disk (test)"),
    "unknown": localized("inconnu", "unknown"),
    "ata": localized("SATA", "SATA"),
    "usb": localized("USB", "USB"),
    "mmc": localized("lecteur de cartes MMC", "MMC card reader"),
    "virtio": localized("virtio (machine virtuelle)", "virtio (virtual machine)"),
    "scsi": localized("SCSI/SAS", "SCSI/SAS"),
    "loop": localized("périphérique loop (test)", "loop device (test)"),
    "file": localized("fichier image", "image file"),
    # overwrite patterns
    "zeros": localized("zéros", "zeros"),
    "ones": localized("uns (0xFF)", "ones (0xFF)"),
    "fixed": localized("motif fixe", "fixed pattern"),
    "random": localized("aléatoire (AES-CTR)", "random (AES-CTR)"),
    "complement": localized("complément de la passe précédente", "complement of previous pass"),
    # IEEE 2883 techniques (Station's technique ids)
    "overwrite": localized("Overwrite (écrasement)", "Overwrite"),
    "block erase": localized("Block Erase (effacement des blocs)", "Block Erase"),
    "crypto erase": localized(
        "Cryptographic Erase (effacement cryptographique)", "Cryptographic Erase"
    ),
    "format": localized(
        "Format with Secure Erase (formatage sécurisé)", "Format with Secure Erase"
    ),
    "security erase": localized(
        "ATA Security Erase (effacement sécurisé du firmware, commande hors IEEE 2883)",
        "ATA Security Erase (firmware command outside IEEE 2883)",
    ),
    # SMART
    "healthy": localized("en bonne santé", "healthy"),
    "worn": localized("usé", "worn"),
    "failing": localized("défaillant", "failing"),
    "passed": localized("test global réussi", "overall test passed"),
    "failed_health": localized("test global échoué", "overall test failed"),
    # where a fact came from
    "from_disk_seen": localized("saisi à l'effacement", "typed at the erasure"),
    "from_image_deploy": localized("saisi au déploiement", "typed at the deploy"),
    "from_host_inventory": localized("inventaire de la machine", "machine inventory"),
    "from_model_family": localized("famille de modèle (smartctl)", "model family (smartctl)"),
    "from_wwn": localized("identifiant WWN (OUI IEEE)", "WWN (IEEE OUI)"),
    "from_model": localized("début du nom de modèle", "model name prefix"),
    "from_vendor": localized("champ fabricant du disque", "drive's vendor field"),
    # HPA/DCO actions
    "detected": localized("détectée", "detected"),
    "removed": localized("supprimée", "removed"),
    "left_in_place": localized("laissée en place", "left in place"),
    "not_supported": localized("non prise en charge", "not supported"),
    # image deploy outcomes (and an HPA/DCO action that failed)
    "deployed": localized("déployée", "deployed"),
    "failed": localized("en échec", "failed"),
    "cancelled": localized("arrêtée à la demande", "stopped on request"),
}

_METHOD = {
    "clear": localized("Clear (effacement logique)", "Clear"),
    "purge": localized("Purge (effacement par le firmware)", "Purge"),
}

_PLAIN_RESULT = {
    "purged": localized(
        "Les données de ce disque ont été détruites par le disque lui-même puis la "
        "destruction a été vérifiée : elles ne peuvent être récupérées ni par un logiciel "
        "ni en laboratoire.",
        "The drive destroyed its data itself and this was checked: the data cannot be "
        "recovered, neither by software nor in a laboratory.",
    ),
    "cleared": localized(
        "Toutes les données de ce disque ont été effacées et l'effacement a été vérifié : "
        "aucun logiciel de récupération ne peut les retrouver.",
        "All data on this disk was erased and the erasure was checked: no recovery "
        "software can bring it back.",
    ),
    "cleared_with_warnings": localized(
        "Les données ont été effacées et vérifiées, mais quelques secteurs n'ont pas pu "
        "être relus : le détail figure en annexe. Le disque ne doit pas être remis sans "
        "l'accord de l'encadrant.",
        "The data was erased and checked, but a few sectors could not be read back: see "
        "the annex. The disk must not be handed on without the supervisor's agreement.",
    ),
    "failed": localized(
        "ÉCHEC : l'effacement n'a pas pu être mené ou vérifié jusqu'au bout. Ce disque "
        "ne doit pas être réutilisé ; il doit être détruit physiquement.",
        "FAILED: the erasure could not be completed or checked. This disk must not be "
        "reused; it must be physically destroyed.",
    ),
}


def term(code: object, lang: Lang) -> str:
    """A code said in words; an unknown code is printed as it was recorded."""
    text = str(code)
    return _TERMS[text].get(lang) if text in _TERMS else text


def nist_method(method: str | None, lang: Lang) -> str | None:
    if method not in _METHOD:
        return None
    return f"{NIST} — {_METHOD[method].get(lang)}"


def technique_text(technique: str | None, lang: Lang) -> str | None:
    """The IEEE 2883 technique(s), e.g. 'IEEE 2883 : Overwrite (écrasement)'."""
    if not technique:
        return None
    names = " + ".join(term(part, lang) for part in technique.split(" + "))
    return f"IEEE 2883{' :' if lang == 'fr' else ':'} {names}"


def plain_result(result: str | None, lang: Lang, *, stopped: bool = False) -> str:
    if stopped:
        return (
            "L'effacement a été arrêté à la demande de l'opérateur : ce disque n'est PAS "
            "effacé. Il faut relancer l'effacement avant de le remettre à qui que ce soit."
            if lang == "fr"
            else "The erasure was stopped on the operator's request: this disk is NOT "
            "erased. Start the erasure again before handing it to anyone."
        )
    if result in _PLAIN_RESULT:
        return _PLAIN_RESULT[result].get(lang)
    return (
        "Aucune vérification n'a été enregistrée : ce document ne certifie aucun effacement."
        if lang == "fr"
        else "No verification was recorded: this document certifies no erasure."
    )
