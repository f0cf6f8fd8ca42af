"""The partners' reports as PDF (fpdf2, DejaVu) and French CSV, from partner_figures.

The donor report: the lot, what became of each machine, the certificates' numbers and
where to check them. The funder report: a period's devices reconditioned and reused by
kind of beneficiary, and the CO2e avoided only when a factor is configured (printed with
its source and date); otherwise the report says that no factor is configured.
"""

from __future__ import annotations

from station.inventory.partner_figures import DonorFigures, FunderFigures, MachineLine
from station.reports.pdf_kit import Document
from station.reports.spreadsheet import french_csv
from station.reports.workshop import Workshop

LINE_HEADER = ("Machine", "Fabricant, modèle", "N° de série", "Disques et effacement",
               "Certificats", "Destination")  # fmt: skip
LINE_WIDTHS = (26, 38, 28, 78, 40, 67)
TRAINEE_HOURS = (
    "Heures des stagiaires au poste : non relevées (les postes ne les enregistrent pas)."
)


def _number(value: float) -> str:
    return f"{value:,.1f}".replace(",", "\u202f").replace(".", ",")


def _line_cells(line: MachineLine) -> tuple[str, ...]:
    return (
        line.ident,
        line.make_model,
        line.serial,
        line.disks,
        " ".join(c.number for c in line.certificates) or "—",
        line.destination_text,
    )


def titled_document(title: str, workshop: Workshop | None, orientation: str = "L") -> Document:
    """A report's first page: the workshop's name, address and SIRET, then the title."""
    pdf = Document(footer=title, orientation=orientation)
    pdf.set_title(title)
    pdf.add_page()
    if workshop is not None:
        siret = [f"SIRET {workshop.siret_text()}"] if workshop.siret else []
        pdf.note(" — ".join([workshop.name, *workshop.address, *siret]), size=9)
    pdf.heading(title)
    return pdf


def donor_pdf(figures: DonorFigures, workshop: Workshop | None, base_url: str) -> bytes:
    lot, progress = figures.lot, figures.progress
    pdf = titled_document(f"Rapport pour le donateur — lot {lot.code}", workshop)
    pdf.section("Le lot")
    pdf.pairs(
        [
            ("Donateur", lot.donor),
            ("Reçu le", lot.received_text),
            ("Nombre annoncé", str(lot.expected_count) if lot.expected_count else "non précisé"),
        ]
    )
    pdf.section("Ce que sont devenues les machines")
    pdf.pairs(
        [
            ("Machines reçues", str(progress.received)),
            ("Machines effacées", str(progress.erased)),
            (
                "Certificats d'effacement",
                f"{figures.certificates}, dont {figures.failure_certificates} constatant un "
                "échec ou un arrêt",
            ),
            ("Machines réemployées", str(figures.reused)),
            ("Machines recyclées", str(progress.recycled)),
            ("Encore à l'atelier", str(figures.in_stock)),
        ]
    )
    if figures.by_kind:
        pdf.section("Destinations par type de bénéficiaire")
        pdf.pairs([(kind, str(count)) for kind, count in figures.by_kind.items()])
    pdf.section("Machine par machine")
    pdf.grid(LINE_HEADER, [_line_cells(line) for line in figures.lines], LINE_WIDTHS)
    pdf.note(
        "Chaque certificat d'effacement se vérifie à "
        f"{base_url}/verification?n=NUMÉRO (le numéro à 16 caractères ci-dessus), sans "
        "compte. Aucune donnée personnelle des bénéficiaires n'est conservée : une famille "
        "est désignée par la structure sociale qui l'oriente.",
        size=8,
    )
    return bytes(pdf.output())


def donor_csv(figures: DonorFigures) -> bytes:
    return french_csv(LINE_HEADER, [_line_cells(line) for line in figures.lines])


def co2e_text(figures: FunderFigures) -> str:
    factor, total = figures.factor, figures.co2e_kg
    if factor is None or total is None:
        return f"Non calculé : {figures.factor_missing}. Aucun chiffre n'est estimé à sa place."
    return (
        f"{_number(total)} kg CO2e = {figures.reused} appareil(s) réemployé(s) × "
        f"{_number(factor.kg_per_device)} kg CO2e par appareil (source : {factor.source}, "
        f"{factor.published})"
    )


def funder_pdf(figures: FunderFigures, workshop: Workshop | None) -> bytes:
    period = f"du {figures.start:%d/%m/%Y} au {figures.end:%d/%m/%Y}"
    pdf = titled_document(f"Rapport d'activité pour les financeurs — {period}", workshop)
    pdf.section("Chiffres de la période")
    pdf.pairs(
        [
            ("Appareils reconditionnés", str(figures.reconditioned)),
            ("Appareils réemployés", str(figures.reused)),
            *[(f"  dont {kind}", str(count)) for kind, count in figures.reused_by_kind.items()],
            ("Appareils recyclés", str(figures.recycled)),
            ("CO2e évité", co2e_text(figures)),
        ],
        label_width=60,
    )
    pdf.note(
        "Reconditionné : tous les disques effacés (vérifiés) et l'image installée pendant la "
        "période. Réemployé ou recyclé : la dernière destination enregistrée date de la "
        f"période. {TRAINEE_HOURS}",
        size=8,
    )
    if figures.lines:
        pdf.section("Appareils sortis pendant la période")
        pdf.grid(LINE_HEADER, [_line_cells(line) for line in figures.lines], LINE_WIDTHS)
    return bytes(pdf.output())


def funder_csv(figures: FunderFigures) -> bytes:
    rows: list[tuple[str, ...]] = [
        ("Période", f"{figures.start:%d/%m/%Y}", f"{figures.end:%d/%m/%Y}"),
        ("Appareils reconditionnés", str(figures.reconditioned)),
        ("Appareils réemployés", str(figures.reused)),
        *[(f"dont {kind}", str(count)) for kind, count in figures.reused_by_kind.items()],
        ("Appareils recyclés", str(figures.recycled)),
        ("CO2e évité", co2e_text(figures)),
    ]
    return french_csv(("Indicateur", "Valeur", ""), rows)
