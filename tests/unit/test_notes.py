"""The jobs' English notes said in French (station.domain.notes): every sentence the
erase, purge, hidden-area, password and image steps write, as they write it."""

from __future__ import annotations

import pytest

from station.domain import notes
from station.domain.notes import note_or_technical, note_text

# One note per known sentence, in the words of the job that writes it.
EXAMPLES = {
    "cancelled by the operator before the end": "Arrêté par l'opérateur avant la fin.",
    "the disk disappeared during the job": "Le disque a disparu pendant le travail.",
    "more than 64 sectors failed": "Plus de 64 secteurs n'ont pas pu être écrits.",
    "only 1 of 3 passes completed": "Seulement 1 passe(s) finie(s) sur 3.",
    "verification did not complete": "Le contrôle n'est pas fini.",
    "4096 bytes did not read back as written": "4096 octets relus ne sont pas ceux écrits.",
    "80 bad sectors, more than the 64 allowed": "80 secteurs défectueux : plus que les 64 permis.",
    "8 sectors could not be written or read back; their ranges are listed": (
        "8 secteurs n'ont pas pu être écrits ou relus."
    ),
    "every pass completed and the read-back matched": (
        "Toutes les passes sont finies et le contrôle est bon."
    ),
    "purge not done: drive still frozen": (
        "Purge non faite : le disque reste bloqué par l'ordinateur."
    ),
    "purge not done: read-back found data that is not erased": (
        "Purge non faite : la relecture a trouvé des données non effacées."
    ),
    "purge not done: sanitize failed (exit 22)": "Purge non faite (sanitize failed (exit 22)).",
    "the Host Protected Area could not be removed": (
        "La zone cachée (HPA) n'a pas pu être retirée."
    ),
    "ATA security still enabled: password is 'station'": (
        "Le mot de passe ATA est toujours actif ('station')."
    ),
    "HPA not checked: hdparm is not installed": (
        "Zone cachée (HPA) non vérifiée (hdparm is not installed)."
    ),
    "hdparm -N gave impossible numbers (a USB bridge?): HPA unknown": (
        "Zone cachée (HPA) inconnue : l'adaptateur USB donne des nombres impossibles."
    ),
    "HPA hides 2048 sectors and was left in place (USB bridge: connect to SATA to remove it)": (
        "Une zone cachée (HPA) de 2048 secteurs reste en place : branchez le disque en "
        "SATA pour la retirer."
    ),
    "HPA hides 2048 sectors and was left in place": (
        "Une zone cachée (HPA) de 2048 secteurs est restée en place."
    ),
    "the drive refused to remove its HPA: 2048 sectors not erased": (
        "Le disque a refusé de retirer sa zone cachée (HPA) : 2048 secteurs non effacés."
    ),
    "a DCO hides 4096 sectors beyond the native max: left in place, not erased "
    "(restoring a DCO can make a drive unusable)": (
        "Une zone DCO cache 4096 secteurs : laissée en place, non effacée (la retirer "
        "peut rendre le disque inutilisable)."
    ),
    "ATA password not checked: the USB bridge passes no IDENTIFY": (
        "Mot de passe ATA non vérifié : l'adaptateur USB ne laisse pas lire le disque."
    ),
    "ATA password left on the drive removed (checked on IDENTIFY)": (
        "Un mot de passe ATA laissé sur le disque a été retiré (vérifié)."
    ),
    "ATA password still set": "Le mot de passe ATA est toujours actif.",
    "3 range(s) did not read back as written": (
        "3 zone(s) de l'image relue(s) différente(s) de ce qui a été écrit."
    ),
    "write failed: Input/output error": "L'écriture a échoué (Input/output error).",
    "could not zero the partition tables: No space left on device": (
        "Les tables de partitions n'ont pas pu être effacées (No space left on device)."
    ),
    "/dev/sdb disappeared during verification": "/dev/sdb a disparu pendant la vérification.",
    "/dev/sdb disappeared: the disk was removed or unplugged": (
        "/dev/sdb a disparu : le disque a été retiré ou débranché."
    ),
}


@pytest.mark.parametrize("note", sorted(EXAMPLES))
def test_each_note_is_said_in_french(note: str) -> None:
    said = note_text(note)
    assert said is not None, note
    assert said.fr == EXAMPLES[note]
    assert said.en != said.fr


def test_every_known_sentence_has_an_example() -> None:
    """A sentence added to the table without an example here is caught."""
    import re

    for pattern, _wording in notes.KNOWN:
        assert any(re.fullmatch(pattern, note) for note in EXAMPLES), pattern


def test_an_unknown_note_stays_as_written_for_the_technical_notes() -> None:
    said = note_or_technical("sg_sanitize: Illegal request, invalid opcode")
    assert said.fr == said.en == "sg_sanitize: Illegal request, invalid opcode"
