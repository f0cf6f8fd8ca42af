"""Words and number/date formats of the printed documents, in French and English.

French first (the workshop's language): dates dd/mm/yyyy in Europe/Paris, decimal comma.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from station.domain.text import LocalizedText

PARIS = ZoneInfo("Europe/Paris")
Lang = str  # "fr" or "en"


def localized(fr: str, en: str) -> LocalizedText:
    return LocalizedText(fr=fr, en=en)


WORDS: dict[str, LocalizedText] = {
    "certificate": localized("Certificat d'effacement des données", "Certificate of data erasure"),
    "subtitle": localized(
        "Effacement selon NIST SP 800-88 Rev. 2 et IEEE 2883, établi à partir "
        "d'enregistrements signés",
        "Sanitization per NIST SP 800-88 Rev. 2 and IEEE 2883, drawn from signed records",
    ),
    "not_recorded": localized("non enregistré", "not recorded"),
    "none": localized("aucun", "none"),
    "not_applicable": localized("sans objet (lecture complète)", "not applicable (full read)"),
    "yes": localized("oui", "yes"),
    "no": localized("non", "no"),
    "result": localized("Résultat", "Result"),
    "purged": localized("PURGÉ", "PURGED"),
    "cleared": localized("EFFACÉ (Clear)", "CLEARED"),
    "cleared_with_warnings": localized("EFFACÉ AVEC RÉSERVES", "CLEARED WITH WARNINGS"),
    "failed": localized("ÉCHEC : destruction physique recommandée", "FAILED: physical destruction"),
    "stopped": localized(
        "ARRÊTÉ sur demande : disque NON effacé, à relancer",
        "STOPPED on request: disk NOT erased, start it again",
    ),
    "no_result": localized(
        "aucune vérification enregistrée : rien n'est certifié",
        "no verification recorded: nothing is certified",
    ),
    "media": localized("Support", "Media"),
    "manufacturer": localized("Fabricant", "Manufacturer"),
    "model": localized("Modèle", "Model"),
    "serial": localized("Numéro de série", "Serial number"),
    "wwn": localized("WWN", "WWN"),
    "media_type": localized("Type de support", "Media type"),
    "bus": localized("Bus", "Bus"),
    "capacity": localized("Capacité", "Capacity"),
    "native_max": localized("Capacité native (secteurs)", "Native max (sectors)"),
    "hpa_dco": localized("HPA / DCO avant → après", "HPA / DCO before → after"),
    "source": localized("Origine", "Source"),
    "asset": localized("N° d'inventaire", "Asset number"),
    "host": localized("Machine d'origine", "Source device"),
    "method_section": localized("Méthode", "Method"),
    "method": localized("Méthode", "Method"),
    "technique": localized("Technique", "Technique"),
    "purge": localized("Purge par le disque", "Drive's own Purge"),
    "not_asked": localized("non demandée (profil Clear)", "not asked (Clear profile)"),
    "done": localized("faite", "done"),
    "not_done": localized("non faite", "not done"),
    "passes": localized("Passes et motifs", "Passes and patterns"),
    "tools": localized("Outils", "Tools"),
    "commands": localized("Commandes (code de sortie)", "Commands (exit code)"),
    "profile": localized("Profil", "Profile"),
    "verification": localized("Vérification", "Verification"),
    "verif_mode": localized("Mode", "Mode"),
    "full": localized("complète", "full"),
    "sampled": localized("par échantillons", "sampled"),
    "coverage": localized("Couverture", "Coverage"),
    "seed": localized("Graine", "Seed"),
    "expected": localized("Attendu", "Expected"),
    "mismatches": localized("Écarts / illisibles", "Mismatches / unreadable"),
    "smart": localized("SMART avant / après", "SMART before / after"),
    "before": localized("Avant", "Before"),
    "after": localized("Après", "After"),
    "times": localized("Durée et débit", "Time and throughput"),
    "start": localized("Début", "Start"),
    "end": localized("Fin", "End"),
    "duration": localized("Durée", "Duration"),
    "throughput": localized("Débit moyen", "Average throughput"),
    "curve_title": localized(
        "Débit d'écriture le long du disque", "Write throughput along the disk"
    ),
    "curve_slices": localized(
        "mesuré par tranche de 1 % du disque", "measured over each 1 % slice of the disk"
    ),
    "curve_average": localized(
        "moyenne par passe seulement (pas de mesure par tranche enregistrée)",
        "per-pass average only (no per-slice samples recorded)",
    ),
    "people": localized("Responsabilités", "Responsibility"),
    "operator": localized("Opérateur (pseudonyme)", "Operator (pseudonymous)"),
    "bench": localized("Poste", "Bench"),
    "supervisor": localized("Validation du superviseur", "Supervisor validation"),
    "approved": localized("approuvé", "approved"),
    "rejected": localized("refusé", "rejected"),
    "not_validated": localized("pas encore validé", "not validated yet"),
    "destination": localized("Destination du support", "Media destination"),
    "evidence": localized("Preuves signées", "Signed evidence"),
    "key": localized("Clé du poste (keyid)", "Bench key (keyid)"),
    "records": localized("Enregistrements", "Records"),
    "qr_help": localized(
        "Vérifier hors ligne : station verify certificat.json --key poste.pem --qr qr.txt",
        "Verify offline: station verify certificate.json --key bench.pem --qr qr.txt",
    ),
    "legal": localized(
        "Suppression des données des utilisateurs précédents avant revente : décret "
        "2022-190, art. R.122-4 du Code de la consommation.",
        "Removal of previous users' data before resale: French decree 2022-190, "
        "art. R.122-4 Code de la consommation.",
    ),
    "generated": localized("Document produit le", "Document made on"),
}


def word(key: str, lang: Lang) -> str:
    return WORDS[key].get(lang)


def text_or_missing(value: object, lang: Lang) -> str:
    if value is None or value == "" or value == []:
        return word("not_recorded", lang)
    if isinstance(value, bool):
        return word("yes" if value else "no", lang)
    return str(value)


def decimal(value: float, lang: Lang, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def size(value: int | None, lang: Lang) -> str:
    if value is None:
        return word("not_recorded", lang)
    units = ["o", "ko", "Mo", "Go", "To"] if lang == "fr" else ["B", "kB", "MB", "GB", "TB"]
    amount, unit = float(value), 0
    while amount >= 1000 and unit < len(units) - 1:
        amount, unit = amount / 1000, unit + 1
    return f"{decimal(amount, lang)} {units[unit]} ({value} {units[0]})"


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(text: str | None, lang: Lang, *, seconds: bool = False) -> str:
    """A recorded UTC time as workshop time: dd/mm/yyyy HH:MM (Europe/Paris)."""
    if not text:
        return word("not_recorded", lang)
    moment = parse_utc(text).astimezone(PARIS)
    pattern = "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M"
    return moment.strftime(pattern) + ("" if lang == "fr" else " (Paris)")


def day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def parse_day(text: str) -> date:
    """dd/mm/yyyy (what the supervisor types), or ISO yyyy-mm-dd."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date like 22/11/2026")


def duration(seconds: float | None, lang: Lang) -> str:
    if seconds is None:
        return word("not_recorded", lang)
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{decimal(seconds, lang)} s"
