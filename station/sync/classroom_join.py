"""A netbooted classroom laptop joins the session: a key in RAM, the supervisor's approval.

The laptop has no stick: nothing of its own survives a power-off. At boot it makes a bench
key in its data folder (in RAM), asks the inventory to join the open session with its
machine identity (DMI serial and UUID) and that public key, and waits until the supervisor
approves it on the classroom page. Then it writes its bench profile (the session's,
from the server) with `sync_each_record`, so every record it signs goes to the inventory
at once. Refusals are said in French: it is a trainee's screen that shows them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from station.errors import SyncError
from station.journal.keys import BenchKey
from station.journal.store import Journal
from station.paths import LIVE_BENCH_FILE
from station.sync.client import InventoryClient, RecordRefused
from station.sync.pusher import Pusher

REFUSALS_FR = {
    "unknown_key": "clé inconnue du serveur : ce portable n'a pas (ou plus) rejoint la séance",
    "no_proof_of_possession": "demande refusée : elle n'est pas signée par la clé présentée",
    "stale_request": "demande refusée : l'horloge du portable est décalée de plus de 15 minutes",
    "bad_signature": "demande refusée : signature invalide",
}
STATUS_FR = {
    "pending": "en attente d'approbation par l'encadrant",
    "approved": "approuvé pour la séance",
    "refused": "refusé par l'encadrant pour cette séance",
    "expired": "approbation expirée : la séance de salle est terminée",
}


def french(exc: RecordRefused) -> str:
    """The server's refusal in French (its classroom refusals already are)."""
    return REFUSALS_FR.get(exc.code, exc.detail)


def join_and_wait(
    client: InventoryClient,
    key: BenchKey,
    identity: tuple[str | None, str | None],
    hostname: str,
    *,
    wait_s: float,
    poll_s: float = 2.0,
    say: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Join the session and wait for the supervisor's decision; the approved answer, or a
    SyncError in French (refused, expired, no session, waited too long)."""
    serial, uuid = identity
    try:
        answer = client.join_classroom(key.private_key, serial, uuid, hostname)
        said = ""
        deadline = time.monotonic() + wait_s
        while answer.get("status") == "pending":
            line = f"{key.bench_id} : {STATUS_FR['pending']}"
            if line != said:
                say(line)
                said = line
            if time.monotonic() > deadline:
                raise SyncError(f"pas d'approbation de l'encadrant après {wait_s:.0f} s")
            time.sleep(poll_s)
            answer = client.classroom_laptop(key.bench_id)
    except RecordRefused as exc:
        raise SyncError(french(exc)) from exc
    status = str(answer.get("status"))
    if status != "approved":
        raise SyncError(STATUS_FR.get(status, status))
    say(f"{key.bench_id} : {STATUS_FR['approved']}")
    return answer


def write_bench_profile(folder: Path, server: str, given: dict[str, Any] | None) -> Path:
    """This laptop's bench profile in its data folder (banc.yaml, where the live system
    looks): the session's from the server when it has one, pushing every record at once."""
    profile: dict[str, Any] = dict(given or {})
    profile.setdefault("name", "salle")
    profile.setdefault("title", {"fr": "Portable de la salle", "en": "Classroom laptop"})
    profile.setdefault("operators", ["salle"])
    profile.update(inventory_url=server, sync_each_record=True)
    path = folder / LIVE_BENCH_FILE
    path.write_text(yaml.safe_dump(profile, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def records_left_fr(journal: Journal, client: InventoryClient) -> str | None:
    """After the deploy of a laptop in an inventory session: None when every record it
    signed reached the inventory (those still waiting are pushed once more first), else
    why it must not be switched off yet, in French. Its records are only in its RAM: the
    screen must not say « peut être éteint » while one of them waits (a refused push, a
    cut network)."""
    if journal.pending_count() == 0:
        return None
    summary = Pusher(journal, client).drain_once()
    if summary.pending == 0:
        return None
    why = summary.error or journal.last_error() or "raison inconnue"
    return (
        f"{summary.pending} enregistrement(s) signé(s) de ce portable ne sont pas arrivés au "
        f"serveur d'inventaire ({why}) : ne l'éteignez pas. L'encadrant les envoie "
        "(station sync) ou les exporte (station journal export) sur la console (Ctrl+Alt+F2)"
    )
