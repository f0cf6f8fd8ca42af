"""The jobs' own notes in words, for both front ends: an erase, a purge or an image
writes English sentences (they go in the JSON reports and the logs as written); the
bench screen and the French command line show them in French. A note not known here is
shown as written, under "technical notes"."""

from __future__ import annotations

import re
from collections.abc import Callable

from station.domain.text import LocalizedText

Wording = Callable[[re.Match[str]], LocalizedText]


def _say(fr: str, en: str) -> Wording:
    """Both sentences, with the note's captured groups as {1}, {2}..."""
    return lambda m: LocalizedText(fr=fr.format(None, *m.groups()), en=en.format(None, *m.groups()))


KNOWN: list[tuple[str, Wording]] = [
    # the erase's verdict (domain.wipe_outcome.decide)
    (
        r"cancelled by the operator before the end",
        _say("Arrêté par l'opérateur avant la fin.", "Stopped by the operator before the end."),
    ),
    (
        r"the disk disappeared during the job",
        _say("Le disque a disparu pendant le travail.", "The disk went away during the work."),
    ),
    (
        r"more than (\d+) sectors failed",
        _say(
            "Plus de {1} secteurs n'ont pas pu être écrits.",
            "More than {1} sectors could not be written.",
        ),
    ),
    (
        r"only (\d+) of (\d+) passes completed",
        _say("Seulement {1} passe(s) finie(s) sur {2}.", "Only {1} of {2} passes were finished."),
    ),
    (
        r"verification did not complete",
        _say("Le contrôle n'est pas fini.", "The check was not finished."),
    ),
    (
        r"(\d+) bytes did not read back as written",
        _say(
            "{1} octets relus ne sont pas ceux écrits.", "{1} bytes did not read back as written."
        ),
    ),
    (
        r"(\d+) bad sectors, more than the (\d+) allowed",
        _say(
            "{1} secteurs défectueux : plus que les {2} permis.",
            "{1} bad sectors: more than the {2} allowed.",
        ),
    ),
    (
        r"(\d+) sectors could not be written or read back; their ranges are listed",
        _say(
            "{1} secteurs n'ont pas pu être écrits ou relus.",
            "{1} sectors could not be written or read back.",
        ),
    ),
    (
        r"every pass completed and the read-back matched",
        _say(
            "Toutes les passes sont finies et le contrôle est bon.",
            "Every pass was finished and the check matched.",
        ),
    ),
    # the drive's own purge (jobs.purge)
    (
        r"purge not done: drive still frozen",
        _say(
            "Purge non faite : le disque reste bloqué par l'ordinateur.",
            "Purge not done: the computer still blocks the drive.",
        ),
    ),
    (
        r"purge not done: read-back found data that is not erased",
        _say(
            "Purge non faite : la relecture a trouvé des données non effacées.",
            "Purge not done: the read-back found data that is not erased.",
        ),
    ),
    (
        r"purge not done: (.*)",
        _say("Purge non faite ({1}).", "Purge not done ({1})."),
    ),
    (
        r"the Host Protected Area could not be removed",
        _say(
            "La zone cachée (HPA) n'a pas pu être retirée.",
            "The hidden area (HPA) could not be removed.",
        ),
    ),
    (
        r"ATA security still enabled: password is (.*)",
        _say(
            "Le mot de passe ATA est toujours actif ({1}).",
            "The ATA password is still set ({1}).",
        ),
    ),
    # hidden areas (jobs.hidden_areas)
    (
        r"HPA not checked: (.*)",
        _say("Zone cachée (HPA) non vérifiée ({1}).", "Hidden area (HPA) not checked ({1})."),
    ),
    (
        r"hdparm -N gave impossible numbers \(a USB bridge\?\): HPA unknown",
        _say(
            "Zone cachée (HPA) inconnue : l'adaptateur USB donne des nombres impossibles.",
            "Hidden area (HPA) unknown: the USB adapter gives impossible numbers.",
        ),
    ),
    (
        r"HPA hides (\d+) sectors and was left in place "
        r"\(USB bridge: connect to SATA to remove it\)",
        _say(
            "Une zone cachée (HPA) de {1} secteurs reste en place : branchez le disque en "
            "SATA pour la retirer.",
            "A hidden area (HPA) of {1} sectors stays: connect the disk to SATA to remove it.",
        ),
    ),
    (
        r"HPA hides (\d+) sectors and was left in place",
        _say(
            "Une zone cachée (HPA) de {1} secteurs est restée en place.",
            "A hidden area (HPA) of {1} sectors was left in place.",
        ),
    ),
    (
        r"the drive refused to remove its HPA: (\d+) sectors not erased",
        _say(
            "Le disque a refusé de retirer sa zone cachée (HPA) : {1} secteurs non effacés.",
            "The drive refused to remove its hidden area (HPA): {1} sectors not erased.",
        ),
    ),
    (
        r"a DCO hides (\d+) sectors beyond the native max: left in place, not erased "
        r"\(restoring a DCO can make a drive unusable\)",
        _say(
            "Une zone DCO cache {1} secteurs : laissée en place, non effacée (la retirer "
            "peut rendre le disque inutilisable).",
            "A DCO hides {1} sectors: left in place, not erased (removing it can make the "
            "drive unusable).",
        ),
    ),
    # the ATA password checked after every erase (jobs.sanitize)
    (
        r"ATA password not checked: the USB bridge passes no IDENTIFY",
        _say(
            "Mot de passe ATA non vérifié : l'adaptateur USB ne laisse pas lire le disque.",
            "ATA password not checked: the USB adapter does not let the drive be read.",
        ),
    ),
    (
        r"ATA password left on the drive removed \(checked on IDENTIFY\)",
        _say(
            "Un mot de passe ATA laissé sur le disque a été retiré (vérifié).",
            "An ATA password left on the drive was removed (checked).",
        ),
    ),
    (
        r"ATA password still set",
        _say("Le mot de passe ATA est toujours actif.", "The ATA password is still set."),
    ),
    # the image (jobs.deploy, imaging)
    (
        r"(\d+) range\(s\) did not read back as written",
        _say(
            "{1} zone(s) de l'image relue(s) différente(s) de ce qui a été écrit.",
            "{1} range(s) of the image did not read back as written.",
        ),
    ),
    (
        r"write failed: (.*)",
        _say("L'écriture a échoué ({1}).", "The write failed ({1})."),
    ),
    (
        r"could not zero the partition tables: (.*)",
        _say(
            "Les tables de partitions n'ont pas pu être effacées ({1}).",
            "The partition tables could not be zeroed ({1}).",
        ),
    ),
    (
        r"(/dev/\S+) disappeared during verification",
        _say("{1} a disparu pendant la vérification.", "{1} went away during the check."),
    ),
    (
        r"(/dev/\S+) disappeared: the disk was removed or unplugged",
        _say(
            "{1} a disparu : le disque a été retiré ou débranché.",
            "{1} went away: the disk was removed or unplugged.",
        ),
    ),
]


def note_text(note: str) -> LocalizedText | None:
    """The note in both languages, or None when it is not a known sentence."""
    for pattern, wording in KNOWN:
        found = re.fullmatch(pattern, note.strip())
        if found:
            return wording(found)
    return None


def note_or_technical(note: str) -> LocalizedText:
    """The known note in both languages, else the note as written in both (the screen
    shows such a note under "technical notes")."""
    return note_text(note) or LocalizedText(fr=note, en=note)
