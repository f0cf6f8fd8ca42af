"""The « fiche de reconditionnement » of one machine (décret 2022-190, code de la
consommation art. R. 122-4): a machine sold or given as « reconditionné » must have had
1° all its functions tested and 2° every data of a previous user removed.

Part 2° comes from the disks' signed erasure records (with each certificate's number);
part 1° from the bench's functional tests, which benches do not record yet: the fiche
says so, and then says the mention « reconditionné » is not supported by this document.
It never states a test or an erasure that no record shows.
"""

from __future__ import annotations

from station.inventory.lots import Lot
from station.inventory.machines import Machine
from station.inventory.partner_reports import titled_document
from station.reports.workshop import Workshop

DECREE = (
    "Décret n° 2022-190 du 17 février 2022 (code de la consommation, art. R. 122-4) : un "
    "produit dit « reconditionné » a subi des tests portant sur toutes ses fonctionnalités "
    "et, s'il y avait lieu, des interventions qui incluent la suppression de toutes les "
    "données liées à un précédent usage ou utilisateur."
)


def data_removed(machine: Machine | None) -> bool:
    return machine is not None and machine.erased


def fiche_pdf(
    ident: str, machine: Machine | None, lot: Lot | None, workshop: Workshop | None
) -> bytes:
    title = f"Fiche de reconditionnement — machine {ident}"
    pdf = titled_document(title, workshop, orientation="P")
    pdf.note(DECREE, size=8)
    pdf.section("La machine")
    pdf.pairs(
        [
            ("Étiquette", ident),
            ("Fabricant", (machine and machine.manufacturer) or "non relevé"),
            ("Modèle", (machine and machine.product) or "non relevé"),
            ("N° de série", (machine and machine.serial) or "non relevé"),
            ("Lot", f"{lot.code} ({lot.donor})" if lot else "aucun"),
        ]
    )
    pdf.section("Suppression des données (2°)")
    disks = list(machine.disks.values()) if machine else []
    rows = []
    for disk in disks:
        cert = disk.certificate_record
        number = f", certificat n° {cert.record_id[:16]}" if cert else ""
        rows.append((f"Disque {disk.serial or disk.model or '?'}", f"{disk.erasure_words}{number}"))
    pdf.pairs(rows or [("Disques", "aucun disque relevé par un poste")])
    removed = data_removed(machine)
    pdf.note(
        "Toutes les données des disques ont été supprimées et vérifiées."
        if removed
        else "La suppression des données n'est pas établie pour tous les disques.",
        size=10,
    )
    pdf.section("Tests des fonctionnalités (1°)")
    pdf.pairs(
        [("Tests de fonctionnement", "non relevés : les postes ne les enregistrent pas encore")]
    )
    pdf.section("Conclusion")
    pdf.note(
        "Cette fiche ne permet pas d'employer la mention « reconditionné » : les tests des "
        "fonctionnalités ne sont pas enregistrés"
        + ("." if removed else ", et la suppression des données n'est pas établie."),
        size=10,
    )
    return bytes(pdf.output())
