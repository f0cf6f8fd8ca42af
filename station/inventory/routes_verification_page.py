"""GET /verification/{record_id}: the page a certificate's QR code opens.

Public on purpose (a donor's IT department scans the paper without an account), so it
shows only that certificate's facts, recomputed from the stored signed records of that
one disk session, and says whether they verify against the key of an enrolled bench.
Nothing else of the inventory is reachable from it. Plain server-rendered French HTML,
no JavaScript, no external resource.

GET /verification?n=NUMBER finds a certificate by the number printed on it (the first
16 hex digits of its record id), for someone typing it from the paper.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from station.domain.certificate import certificate_facts
from station.errors import RecordError
from station.inventory import queries
from station.inventory.benches import Bench, get_bench
from station.inventory.context import Ctx
from station.inventory.database import Database
from station.journal.chain import verify_record
from station.journal.keys import parse_public_key
from station.journal.store import StoredRecord
from station.reports.certificate import certificate_records, session_ending
from station.reports.certificate_rows import summary_sections
from station.reports.certificate_terms import plain_result
from station.reports.workshop import Workshop, find_workshop

router = APIRouter(tags=["pages"])
# A disk session (seen, SMART, passes, verification, deploy) is a few dozen records; the
# window is generous so a session interleaved with other slots' is still whole.
SESSION_WINDOW = 2000
_STYLE = """
body{font-family:DejaVu Sans,Verdana,sans-serif;margin:0;color:#222;background:#f4f5f7}
main{max-width:46em;margin:0 auto;background:#fff;padding:1.2em 1.5em 2em}
h1{font-size:1.35em;margin:.4em 0}h2{font-size:1.05em;margin:1.4em 0 .4em;
background:#e8ecf1;padding:.3em .5em}.workshop{color:#555;font-size:.9em}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border-bottom:1px solid #ddd;padding:.3em .4em;text-align:left;vertical-align:top}
th{width:38%;font-weight:bold}.status{padding:.6em .8em;color:#fff;font-weight:bold;
border-radius:.2em}.ok{background:#1a783c}.bad{background:#aa1414}.warn{background:#be7800}
.plain{font-size:1.05em}.small{font-size:.8em;color:#555;word-break:break-all}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _stored(row: dict[str, Any]) -> StoredRecord:
    return StoredRecord(
        seq=int(row["seq"]),
        record_id=str(row["record_id"]),
        kind=str(row["kind"]),
        created_at=str(row["created_at"]),
        digest=str(row["envelope_digest"]),
        envelope=row["envelope"],
    )


def page(title: str, body: str, workshop: Workshop | None, status: int = 200) -> HTMLResponse:
    header = ""
    if workshop is not None:
        siret = f" — SIRET {workshop.siret_text()}" if workshop.siret else ""
        header = (
            f'<p class="workshop"><strong>{_e(workshop.name)}</strong><br>'
            f"{_e(', '.join(workshop.address))}{_e(siret)}</p>"
        )
    text = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body><main>"
        f"{header}<h1>{_e(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(text, status_code=status)


def _not_found(workshop: Workshop | None, why: str) -> HTMLResponse:
    return page(
        "Certificat introuvable",
        f'<p class="status bad">{_e(why)}</p><p>Vérifiez l\'adresse ou le numéro du '
        "certificat. Un certificat n'apparaît ici qu'une fois ses enregistrements "
        "transmis par le poste à l'inventaire de l'atelier.</p>",
        workshop,
        status=404,
    )


def _session(db: Database, anchor: dict[str, Any]) -> list[StoredRecord]:
    bench_id, seq = str(anchor["bench_id"]), int(anchor["seq"])
    window = queries.bench_records(db, bench_id, max(1, seq - SESSION_WINDOW), seq)
    extras = queries.bench_records(
        db, bench_id, 1, seq + SESSION_WINDOW, ("host_inventory", "supervisor_signoff")
    )
    by_seq = {row["seq"]: row for row in [*window, *extras]}
    return [_stored(by_seq[key]) for key in sorted(by_seq)]


def _verdict(bench: Bench | None, records: list[StoredRecord], claimed_key: str | None) -> str:
    """The status line, and RecordError's text when a record does not verify."""
    if bench is None:
        return (
            '<p class="status bad">Le poste qui a signé ces enregistrements n\'est pas enrôlé.</p>'
        )
    key = parse_public_key(bench.public_key_pem().encode(), f"bench {bench.bench_id}")
    for record in records:
        try:
            verify_record(record.envelope, {bench.key_id: key}, where=f"seq {record.seq}")
        except RecordError as exc:
            return (
                f'<p class="status bad">Enregistrements NON authentiques : {_e(exc.one_line())}</p>'
            )
    if claimed_key and claimed_key != bench.key_id:
        return (
            '<p class="status bad">La clé nommée par le QR code n\'est pas celle du poste '
            f"{_e(bench.bench_id)} : ce certificat n'est pas celui que le poste a signé.</p>"
        )
    state = {
        "approved": ("ok", "enrôlé et approuvé par l'atelier"),
        "pending": ("warn", "enrôlé mais pas encore approuvé par l'atelier"),
        "revoked": ("bad", "dont la clé a été révoquée par l'atelier"),
    }[bench.status]
    return (
        f'<p class="status {state[0]}">{len(records)} enregistrement(s) signé(s) vérifié(s) '
        f"avec la clé du poste {_e(bench.bench_id)}, {state[1]}.</p>"
    )


def render_certificate_page(
    facts: dict[str, Any], verdict: str, record_ids: list[str], keyid: str
) -> str:
    sections = []
    for title, rows in summary_sections(facts, "fr"):
        cells = "".join(
            f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>" for label, value in rows
        )
        sections.append(f"<h2>{_e(title)}</h2><table>{cells}</table>")
    ids = "".join(f"<li>{_e(record_id)}</li>" for record_id in record_ids)
    return (
        f'{verdict}<p class="plain">{_e(plain_result(facts.get("result"), "fr"))}</p>'
        + "".join(sections)
        + '<h2>Preuves</h2><p class="small">Clé du poste (keyid) : '
        f'{_e(keyid)}</p><p class="small">Enregistrements signés :</p>'
        f'<ol class="small">{ids}</ol>'
        '<p class="small">Vérification hors ligne : station verify certificat.pdf '
        "--key poste.pem (le PDF contient ces enregistrements et la clé du poste).</p>"
    )


@router.get("/verification/{record_id}", response_class=HTMLResponse, include_in_schema=False)
def verification_page(
    ctx: Ctx,
    record_id: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    poste: Annotated[str | None, Query(max_length=64)] = None,
    cle: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    workshop = find_workshop()
    anchor = queries.record_by(ctx.db, "record_id", record_id)
    if anchor is None:
        return _not_found(workshop, "Aucun enregistrement ne porte ce numéro.")
    if poste and poste != anchor["bench_id"]:
        return _not_found(workshop, "Ce numéro n'appartient pas au poste nommé par le QR code.")
    records = _session(ctx.db, anchor)
    session = session_ending(records, record_id)
    if session is None:
        return _not_found(workshop, "Cet enregistrement n'est pas celui d'un disque effacé.")
    chosen = certificate_records(records, session)
    bench = get_bench(ctx.db, str(anchor["bench_id"]))
    verdict = _verdict(bench, chosen, cle)
    try:
        facts = certificate_facts([record.body() for record in chosen])
    except RecordError as exc:
        return _not_found(workshop, exc.one_line())
    body = render_certificate_page(
        facts, verdict, [record.record_id for record in chosen], bench.key_id if bench else "?"
    )
    title = f"Certificat d'effacement n° {record_id[:16]}"
    return page(title, body, workshop)


@router.get("/verification", include_in_schema=False, response_model=None)
def find_certificate(
    n: Annotated[str, Query(min_length=1, max_length=64)],
    ctx: Ctx,
) -> Response:
    number = "".join(n.split()).lower()
    workshop = find_workshop()
    if len(number) < 16 or any(c not in "0123456789abcdef" for c in number):
        return _not_found(workshop, "Un numéro de certificat compte 16 chiffres hexadécimaux.")
    found = queries.record_ids_starting(ctx.db, number)
    if len(found) != 1:
        return _not_found(workshop, "Aucun certificat ne porte ce numéro.")
    return RedirectResponse(f"/verification/{found[0]}", status_code=303)
