"""The « fiche de reconditionnement » of one machine (décret 2022-190, code de la
consommation art. R. 122-4): a machine sold or given as « reconditionné » must have had
1° all its functions tested and 2° every data of a previous user removed.

Part 2° comes from the disks' signed erasure records (with each certificate's number);
part 1° from the bench's signed function_test records (the last of each test) and its
grade; a function without a result is named, and then the mention « reconditionné » is
said not to be supported by this document.
It never states a test or an erasure that no record shows.
"""

from __future__ import annotations

from station.domain.function_tests import TEST_NAMES, status_word, untested
from station.domain.function_tests import title as test_title
from station.inventory.lots import Lot
from station.inventory.machines import Machine, RecordRef
from station.inventory.partner_reports import titled_document
from station.reports.function_report import grade_line, test_detail
from station.reports.workshop import Workshop

DECREE = (
    "Décret n° 2022-190 du 17 février 2022 (code de la consommation, art. R. 122-4) : un "
    "produit dit « reconditionné » a subi des tests portant sur toutes ses fonctionnalités "
    "et, s'il y avait lieu, des interventions qui incluent la suppression de toutes les "
    "données liées à un précédent usage ou utilisateur."
)


def test_words(ref: RecordRef | None, lang: str = "fr") -> str:
    """A test's result as its last record says it (status, then what was seen)."""
    if ref is None:
        return "not tested (no record)" if lang == "en" else "non testé (aucun enregistrement)"
    body = dict(ref.body)
    detail = test_detail(body)
    word = status_word(str(body.get("status")), lang)
    return f"{word} — {detail}" if detail else word


def _conclusion(tests: dict[str, RecordRef], removed: bool) -> str:
    """Décret 2022-190's two conditions, each said as the records establish it."""
    not_done = untested({name: str(ref.body.get("status")) for name, ref in tests.items()})
    if not not_done and removed:
        return (
            "Toutes les fonctionnalités ont été testées et toutes les données supprimées : "
            "cette fiche permet d'employer la mention « reconditionné »."
        )
    if not tests:
        missing = "les tests des fonctionnalités ne sont pas enregistrés"
    elif not_done:
        missing = "fonctionnalités non testées : " + ", ".join(
            test_title(n, "fr") for n in not_done
        )
    else:
        missing = ""
    parts = [part for part in (missing, "" if removed else "la suppression des données "
                               "n'est pas établie") if part]  # fmt: skip
    return (
        "Cette fiche ne permet pas d'employer la mention « reconditionné » : "
        + ", et ".join(parts)
        + "."
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
    tests = machine.tests if machine else {}
    if not tests:
        pdf.pairs([("Tests de fonctionnement", "non relevés : aucun poste ne les a enregistrés")])
    else:
        pdf.pairs([(test_title(name, "fr"), test_words(tests.get(name))) for name in TEST_NAMES])
        grade = machine.grade_record if machine else None
        if grade is not None:
            pdf.pairs([("Note", grade_line(dict(grade.body), "fr"))])
    pdf.section("Conclusion")
    pdf.note(_conclusion(tests, removed), size=10)
    return bytes(pdf.output())
