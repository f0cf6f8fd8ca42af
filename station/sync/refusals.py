"""The inventory's refusals in French, for the bench's sync badge and command line.

The server answers every 4xx with a stable code (station.inventory.problems); its
`detail` is English for the logs. A trainee reads the badge, so each code a bench can
meet says in French what happened and who can fix it. A code not listed here is shown
with its number and code, never an English sentence.
"""

from __future__ import annotations

WHAT_TO_DO: dict[str, str] = {
    "bad_signature": "signature du poste refusée : prévenez l'encadrant",
    "stale_request": "heure du poste fausse : prévenez l'encadrant",
    "unknown_key": "poste inconnu de l'inventaire : prévenez l'encadrant",
    "unknown_bench": "poste inconnu de l'inventaire : prévenez l'encadrant",
    "key_revoked": "clé du poste révoquée : prévenez l'encadrant",
    "key_not_approved": "poste pas encore approuvé : l'encadrant doit l'approuver",
    "bench_key_mismatch": "clé du poste différente de celle enregistrée : prévenez l'encadrant",
    "classroom_expired": "la session de la classe est terminée",
    "no_classroom_session": "aucune session de classe ouverte : prévenez l'encadrant",
    "unknown_laptop": "portable inconnu de la session : prévenez l'encadrant",
    "wrong_bench": "journal d'un autre poste : prévenez l'encadrant",
    "not_your_bench": "journal d'un autre poste : prévenez l'encadrant",
    "gap": "l'inventaire attend des enregistrements plus anciens ; renvoi",
    "session_ended": "la session de la classe est terminée",
    "bad_envelope": "enregistrement jugé invalide : prévenez l'encadrant",
    "malformed_envelope": "enregistrement jugé invalide : prévenez l'encadrant",
    "bad_record": "enregistrement jugé invalide : prévenez l'encadrant",
    "schema": "enregistrement jugé invalide : prévenez l'encadrant",
    "storage_unavailable": "l'inventaire ne peut pas enregistrer ; nouvel essai",
}


def refusal_in_french(status: int, code: str) -> str:
    """One French line for the server's refusal `code` (HTTP `status`)."""
    known = WHAT_TO_DO.get(code)
    if known is not None:
        return known
    return f"refus {status} {code} : prévenez l'encadrant"


def unreachable_in_french(base_url: str) -> str:
    return f"pas de réponse de {base_url} ; nouvel essai"


def unavailable_in_french(base_url: str, status: int | None) -> str:
    answered = f" (erreur {status})" if status is not None else ""
    return f"{base_url} indisponible{answered} ; nouvel essai plus tard"
