"""The « fiche de reconditionnement » of one machine, on one A4 page: the functions
tested (décret 2022-190) and the removal of the previous user's data, both read from
the signed records of the same machine (its function_test and grade records, and the
certificate of each disk recorded with it). Nothing is printed that no record says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from station.domain.function_tests import TEST_NAMES, status_word, title, untested
from station.errors import StationError, UsageError
from station.journal.store import Journal
from station.reports.certificate import all_records, build_certificate
from station.reports.function_report import grade_line, test_detail
from station.reports.wording import WORDS, local_time

Body = dict[str, Any]
IDENTITY = ("serial", "uuid", "asset_tag")


def same_machine(host: Body | None, key: str) -> bool:
    """The record's host is the machine named by `key` (its serial, UUID or asset tag)."""
    wanted = key.strip().lower()
    return bool(wanted) and any(
        str((host or {}).get(name) or "").lower() == wanted for name in IDENTITY
    )


@dataclass
class Erasure:
    serial: str
    model: str | None
    result: str | None
    method: str | None
    ended_at: str | None
    record_id: str | None
    missing: str | None = None  # why there is no certificate for this disk


@dataclass
class Fiche:
    host: Body
    tests: dict[str, Body]
    grade: Body | None
    erasures: list[Erasure] = field(default_factory=list)
    bench_id: str | None = None


def fiche_of(journal: Journal, key: str) -> Fiche:
    """What the journal says about the machine named by `key`; UsageError when none."""
    records = all_records(journal)
    mine = [(r, r.body()) for r in records if same_machine(r.body().get("host"), key)]
    if not mine:
        raise UsageError(
            f"no record of a machine with serial, UUID or asset tag {key!r}",
            french=f"aucun enregistrement d'une machine de numéro ou d'étiquette « {key} »",
        )
    tests = {str(b["test"]): b for _, b in mine if b.get("kind") == "function_test"}
    grades = [b for _, b in mine if b.get("kind") == "grade"]
    host = dict(mine[-1][1]["host"])
    serials = [
        str(d["serial"])
        for _, b in mine
        if b.get("kind") == "host_inventory"
        for d in b.get("disks") or []
        if d.get("serial")
    ]
    erasures = [_erasure(journal, serial) for serial in dict.fromkeys(serials)]
    return Fiche(host, tests, grades[-1] if grades else None, erasures, journal.bench_id)


def _erasure(journal: Journal, serial: str) -> Erasure:
    """The disk's certificate, read for its result; why there is none otherwise."""
    try:
        facts = build_certificate(journal, serial).facts
    except StationError as exc:
        return Erasure(serial, None, None, None, None, None, missing=exc.one_line_in("fr"))
    disk = facts.get("disk") or {}
    records_said = facts.get("records") or []
    return Erasure(
        serial=serial,
        model=disk.get("model"),
        result="stopped" if facts.get("stopped") else facts.get("result"),
        method=facts.get("technique") or facts.get("method"),
        ended_at=facts.get("ended_at"),
        record_id=records_said[-1].get("record_id") if records_said else None,
    )


ERASED = ("purged", "cleared")


def conclusion(fiche: Fiche, lang: str = "fr") -> str:
    """Whether this sheet supports the word « reconditionné » (décret 2022-190: every
    function tested and the previous user's data removed), and if not, what is missing."""
    statuses = {name: str(body.get("status")) for name, body in fiche.tests.items()}
    not_done = [title(name, lang) for name in untested(statuses)]
    kept = [e.serial for e in fiche.erasures if e.result not in ERASED]
    fr = lang == "fr"
    if not not_done and fiche.erasures and not kept:
        return (
            "Toutes les fonctions ont été testées et les données des disques supprimées : "
            "cette fiche appuie la mention « reconditionné » (décret n° 2022-190)."
            if fr
            else "Every function was tested and the disks' data removed: this sheet "
            "supports the word « reconditionné » (décret 2022-190)."
        )
    missing = []
    if not_done:
        names = ", ".join(not_done)
        missing.append(f"fonctions non testées : {names}" if fr else f"not tested: {names}")
    if not fiche.erasures:
        missing.append("aucun disque enregistré" if fr else "no disk recorded")
    elif kept:
        names = ", ".join(kept)
        missing.append(
            f"suppression non établie : {names}" if fr else f"removal not established: {names}"
        )
    if fr:
        return "Cette fiche ne permet pas d'employer la mention « reconditionné » : " + (
            " ; ".join(missing) + "."
        )
    return "This sheet does not support the word « reconditionné »: " + "; ".join(missing) + "."


def fiche_pdf(fiche: Fiche, lang: str = "fr") -> bytes:
    # fpdf only when a sheet is made: the bench screen imports this module at start.
    from station.reports.pdf_kit import Document

    fr = lang == "fr"
    pdf = Document(
        footer="Station — fiche de reconditionnement" if fr else "Station — refurbishing sheet"
    )
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading("Fiche de reconditionnement" if fr else "Refurbishing sheet")
    host = fiche.host
    model = " ".join(str(host[k]) for k in ("manufacturer", "product") if host.get(k)) or "—"
    pdf.pairs(
        [
            ("Machine", model),
            ("N° de série" if fr else "Serial number", str(host.get("serial") or "—")),
            ("N° d'inventaire" if fr else "Asset tag", str(host.get("asset_tag") or "—")),
            ("Banc" if fr else "Bench", str(fiche.bench_id or "—")),
        ]
    )
    pdf.section("Fonctions testées" if fr else "Functions tested")
    rows = []
    for name in TEST_NAMES:
        body = fiche.tests.get(name)
        if body is None:
            word, why = ("non testé", "aucun enregistrement") if fr else ("not tested", "no record")
            rows.append([title(name, lang), word, why, ""])
            continue
        rows.append(
            [
                title(name, lang),
                status_word(str(body.get("status")), lang),
                test_detail(body)[:90],
                f"{body.get('operator')}, {local_time(str(body.get('created_at')), lang)}",
            ]
        )
    header = (
        ["Test", "Résultat", "Constaté / raison", "Par, le"]
        if fr
        else ["Test", "Result", "Seen / reason", "By, on"]
    )
    pdf.grid(header, rows, (38, 22, 84, 46))
    pdf.section("Note" if fr else "Grade")
    if fiche.grade is None:
        pdf.note("Aucune note enregistrée." if fr else "No grade recorded.", size=9)
    else:
        pdf.pairs([("Note" if fr else "Grade", grade_line(fiche.grade, lang))])
        for reason in fiche.grade.get("reasons") or []:
            pdf.note(f"• {reason.get(lang) or reason.get('fr')}", size=8.5)
    pdf.section("Effacement des données" if fr else "Data removal")
    if not fiche.erasures:
        pdf.note(
            "Aucun disque enregistré avec cette machine : aucun effacement à montrer."
            if fr
            else "No disk recorded with this machine: no erasure to show.",
            size=9,
        )
    for erasure in fiche.erasures:
        if erasure.missing:
            said = f"{erasure.serial} : pas de certificat ({erasure.missing})"
            pdf.note(said, size=9)
            continue
        word = (
            WORDS[erasure.result].get(lang)
            if erasure.result in WORDS
            else (WORDS["no_result"].get(lang))
        )
        pdf.pairs(
            [
                ("Disque" if fr else "Disk", f"{erasure.model or '?'} — {erasure.serial}"),
                ("Résultat" if fr else "Result", word),
                ("Méthode" if fr else "Method", str(erasure.method or "—")),
                (
                    "Terminé le" if fr else "Ended",
                    local_time(erasure.ended_at, lang) if erasure.ended_at else "—",
                ),
                ("Certificat" if fr else "Certificate", f"station certificate {erasure.serial}"),
            ]
        )
    pdf.section("Conclusion")
    pdf.note(conclusion(fiche, lang), size=9.5)
    pdf.note(
        "Chaque ligne vient d'un enregistrement signé du banc ; `station verify` les vérifie."
        if fr
        else "Every line comes from a signed record of the bench; `station verify` checks them.",
        size=7.5,
    )
    return bytes(pdf.output())
