"""The back office's forms (issue 18): CSRF on every form, lots with their progress and
documents, machines grouped from a bench's signed records, destinations as signed events.
Real server on 127.0.0.1, real SQLite, records signed by a real bench journal."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from station.inventory.database import Database
from station.inventory.destinations import verify_destinations
from station.inventory.machines import all_machines
from station.journal.samples import sample_body
from tests.server.bench_journal import BenchFiles
from tests.server.conftest import Api
from tests.server.web_forms import Browserless

pytestmark = pytest.mark.server
LOT = {
    "code": "LOT-TOT-01",
    "donor": "Raffinerie de Donges",
    "received_on": "2026-11-20",
    "expected_count": "3",
    "tag_prefix": "TOT-",
    "tag_from": "1",
    "tag_to": "700",
    "notes": "700 portables annoncés, 3 livrés pour l'essai",
}


def supervisor(api: Api, name: str = "claire", role: str = "encadrant") -> Browserless:
    return Browserless(api.url, api.sign_in(name, role))


def machine_records(tag: str, serial: str, result: str = "purged") -> list[dict[str, object]]:
    """One laptop through the bench: inventory, disk seen with its asset tag, SMART, an
    overwrite, its verification, the image."""
    now = datetime.now(UTC)
    disk = {"serial": serial, "model": "SAMSUNG MZ7LN256", "size_bytes": 256_060_514_304}
    host = {
        "manufacturer": "LENOVO",
        "product": "20HES0JQ00",
        "serial": f"PF-{serial}",
        "uuid": None,
        "asset_tag": tag,
    }
    at = {"created_at": now - timedelta(minutes=5)}
    return [
        sample_body("host_inventory", host=host, disks=[disk], ram_bytes=8 * 2**30, **at),
        sample_body("disk_seen", disk=disk, asset_tag=tag, lot="LOT-TOT-01",
                    donor="Raffinerie de Donges", **at),
        sample_body("smart_assessment", disk=disk, **at),
        sample_body("overwrite_pass", disk=disk, started_at=now - timedelta(minutes=4),
                    ended_at=now - timedelta(minutes=2), **at),
        sample_body("verification", disk=disk, result=result, created_at=now,
                    mismatched_ranges=[{"offset": 0, "length": 4096}]
                    if result == "failed" else []),
        sample_body("image_deploy", disk=disk, host=host, created_at=now),
    ]  # fmt: skip


def sync_bench(api: Api, files: BenchFiles, bodies: list[dict[str, object]]) -> None:
    """The bench's journal signs the records, the server takes them as a bench's sync."""
    with files.open() as journal:
        journal.append_many(bodies)
        chain = journal.export_chain()
    if api.get(f"/v1/benches/{files.key.bench_id}").status_code == 404:
        assert api.post("/v1/benches", json=files.enrolment()).status_code == 201
        assert api.admin(f"/v1/admin/benches/{files.key.bench_id}/approve").status_code == 200
    stored = api.post("/v1/records/batch", json={"envelopes": chain})
    assert stored.status_code in (200, 201), stored.text


def lot_with_machine(api: Api, root: Path) -> Browserless:
    """A supervisor signed in, the lot made, one laptop through a bench and synced."""
    claire = supervisor(api)
    assert claire.post("/lots", LOT).status_code == 303
    sync_bench(api, BenchFiles(root / "bench"), machine_records("TOT-0001", "S1"))
    return claire


def count(page: str, stage: str) -> int:
    found = re.search(rf'id="count-{stage}">(\d+)<', page)
    assert found, stage
    return int(found.group(1))


def test_forms_without_the_sessions_csrf_token_change_nothing(sqlite_api: Api) -> None:
    claire = supervisor(sqlite_api)
    other = supervisor(sqlite_api, "marc")
    url = sqlite_api.url + "/lots"
    no_token = claire.session.post(url, data=LOT, allow_redirects=False, timeout=30)
    someone_elses = claire.session.post(
        url, data={**LOT, "csrf_token": other.csrf()}, allow_redirects=False, timeout=30
    )
    other_site = claire.post("/lots", LOT, headers={"Origin": "http://evil.example"})
    for answer in (no_token, someone_elses, other_site):
        assert answer.status_code == 403, answer.text[:300]
        assert "Formulaire refusé" in answer.text
    assert "LOT-TOT-01" not in claire.page("/lots")
    # The admin API through a session needs the token too (a header there).
    admin = supervisor(sqlite_api, "root", "admin")
    bench = sqlite_api.url + "/v1/admin/benches/bench-x/approve"
    refused = admin.session.post(bench, timeout=30)
    assert (refused.status_code, refused.json()["error"]) == (403, "csrf_token_missing")
    with_token = admin.session.post(bench, headers={"X-CSRF-Token": admin.csrf()}, timeout=30)
    assert with_token.status_code == 404  # past the CSRF check: no such bench
    # With its own token, the form works.
    made = claire.post("/lots", LOT)
    assert (made.status_code, made.headers["location"]) == (303, "/lots/LOT-TOT-01")


def test_a_reader_sees_lots_but_cannot_create_one(sqlite_api: Api) -> None:
    reader = supervisor(sqlite_api, "audit", "lecture")
    assert 'id="new-lot"' not in reader.page("/lots")
    answer = reader.post("/lots", LOT)
    assert answer.status_code == 403 and "lecture" in answer.text


def test_a_lot_with_bad_input_says_what_to_fix_and_keeps_what_was_typed(sqlite_api: Api) -> None:
    claire = supervisor(sqlite_api)
    answer = claire.post("/lots", {**LOT, "code": "lot avec espaces", "tag_from": "9",
                                   "tag_to": "3", "expected_count": "trois"})  # fmt: skip
    assert answer.status_code == 422
    for reason in ("Code du lot", "Nombre attendu", "le premier est plus grand"):
        assert reason in answer.text
    assert "Raffinerie de Donges" in answer.text  # nothing typed is lost
    assert claire.post("/lots", LOT).status_code == 303
    again = claire.post("/lots", LOT)
    assert again.status_code == 422 and "existe déjà" in again.text


def test_a_lot_counts_its_machines_from_the_benches_records(api: Api, tmp_path: Path) -> None:
    """On SQLite and PostgreSQL: lots, attachments, documents."""
    sqlite_api = api
    claire = supervisor(sqlite_api)
    assert claire.post("/lots", LOT).status_code == 303
    files = BenchFiles(tmp_path / "bench")
    bodies = machine_records("TOT-0001", "S1") + machine_records("TOT-0002", "S2", "failed")
    sync_bench(sqlite_api, files, bodies)
    page = claire.page("/lots/LOT-TOT-01")
    assert "TOT-0001" in page and "TOT-0002" in page
    assert (count(page, "received"), count(page, "erased"), count(page, "ready")) == (2, 1, 1)
    # A machine attached by hand, not yet seen by a bench, is received.
    attached = claire.post("/lots/LOT-TOT-01/machines", {"asset_tags": "DON-77\nDON-78"})
    assert attached.status_code == 200 and "2 machine(s) rattachée(s)" in attached.text
    page = claire.page("/lots/LOT-TOT-01")
    assert count(page, "received") == 4 and "pas encore vue par un poste" in page
    # The donation agreement, a PDF, is kept and given back byte for byte.
    pdf = b"%PDF-1.4\n% convention de don\n%%EOF\n"
    sent = claire.post("/lots/LOT-TOT-01/documents", {},
                       files={"document": ("convention.pdf", pdf, "application/pdf")})  # fmt: skip
    assert sent.status_code == 200, sent.text[:300]
    link = re.search(r'href="(/lots/LOT-TOT-01/documents/[0-9a-f]{64})"', sent.text)
    assert link
    assert claire.session.get(sqlite_api.url + link.group(1), timeout=30).content == pdf
    assert requests.get(sqlite_api.url + link.group(1), timeout=30).status_code == 401
    not_pdf = claire.post("/lots/LOT-TOT-01/documents", {},
                          files={"document": ("x.pdf", b"MZ\x90", "application/pdf")})  # fmt: skip
    assert not_pdf.status_code == 422 and "pas un PDF" in not_pdf.text


def test_a_machine_page_shows_its_facts_and_the_records_behind_them(
    sqlite_api: Api, tmp_path: Path
) -> None:
    claire = lot_with_machine(sqlite_api, tmp_path)
    page = claire.page("/machines/TOT-0001")
    for fact in ("LENOVO", "20HES0JQ00", "PF-S1", "8.0 Gio", "SAMSUNG MZ7LN256", "bon",
                 "purgé (Purge)", "installée et vérifiée", "Raffinerie de Donges"):  # fmt: skip
        assert fact in page, fact
    certificate = re.search(r'href="(/verification/[0-9a-f]{64}\?poste=[^"]+)"', page)
    assert certificate, "the disk links to its certificate's verification page"
    shown = requests.get(sqlite_api.url + certificate.group(1), timeout=30).text
    assert "S1" in shown and 'class="status ok"' in shown  # public, verified, that disk
    record = re.search(r'href="(/v1/records/[0-9a-f]{64})"', page)
    assert record and claire.session.get(sqlite_api.url + record.group(1)).status_code == 200
    # Search by asset tag, disk serial, model or lot.
    for words in ("TOT-0001", "S1", "20hes", "LOT-TOT"):
        assert 'href="/machines/TOT-0001"' in claire.page(f"/machines?q={words}"), words
    assert "Aucune machine pour « XYZ »" in claire.page("/machines?q=XYZ")
    claire.page("/machines/NOPE", status=404)


def test_the_machines_are_grouped_again_only_when_a_record_arrives(
    api: Api, tmp_path: Path
) -> None:
    """On SQLite and PostgreSQL: pages share one grouping until the records change."""
    claire = lot_with_machine(api, tmp_path)
    assert api.db_url
    db = Database(api.db_url)
    try:
        first = all_machines(db)
        assert all_machines(db) is first  # nothing arrived: not read again
        assert "TOT-0002" not in claire.page("/machines")
        sync_bench(api, BenchFiles(tmp_path / "bench"), machine_records("TOT-0002", "S2"))
        again = all_machines(db)
        assert again is not first and set(again) == {"TOT-0001", "TOT-0002"}
        assert 'href="/machines/TOT-0002"' in claire.page("/machines")
        assert "S2" in claire.page("/machines/TOT-0002")
    finally:
        db.close()


def test_an_asset_tag_with_slashes_has_its_page_fiche_and_destination(
    sqlite_api: Api, tmp_path: Path
) -> None:
    """Workshops number machines « EPN/2024/17 »: the links send %2F, which the server
    decodes before routing; the page, its fiche and its destination form still answer."""
    claire = supervisor(sqlite_api)
    assert claire.post("/lots", LOT).status_code == 303
    sync_bench(sqlite_api, BenchFiles(tmp_path / "bench"), machine_records("TOT/2024/17", "S7"))
    listing = claire.page("/machines?q=TOT")
    assert 'href="/machines/TOT%2F2024%2F17"' in listing, listing
    page = claire.page("/machines/TOT%2F2024%2F17")
    assert "SAMSUNG MZ7LN256" in page and "S7" in page
    assert 'href="/machines/TOT%2F2024%2F17/fiche.pdf"' in page
    fiche = claire.session.get(sqlite_api.url + "/machines/TOT%2F2024%2F17/fiche.pdf", timeout=30)
    assert fiche.status_code == 200 and fiche.content.startswith(b"%PDF"), fiche.text[:300]
    given = {"kind": "famille", "organisation": "CCAS de Saint-Nazaire",
             "referrer": "CCAS de Saint-Nazaire", "file_number": "SN-2026/115",
             "given_on": "2026-12-01"}  # fmt: skip
    made = claire.post("/machines/TOT%2F2024%2F17/destination", given)
    assert made.status_code == 303 and made.headers["location"].startswith(
        "/machines/TOT%2F2024%2F17"
    ), made.text[:300]
    assert "SN-2026/115" in claire.page("/machines/TOT%2F2024%2F17")
    claire.page("/machines/TOT%2F2024%2F18", status=404)


def test_a_destination_is_a_signed_event_with_no_personal_data(api: Api, tmp_path: Path) -> None:
    """On SQLite and PostgreSQL: the event is stored, signed, chained, checked."""
    claire = lot_with_machine(api, tmp_path)
    family = {"kind": "famille", "organisation": "CCAS de Saint-Nazaire",
              "referrer": "CCAS de Saint-Nazaire", "file_number": "Jean Dupont",
              "given_on": "2026-12-01"}  # fmt: skip
    refused = claire.post("/machines/TOT-0001/destination", family)
    assert refused.status_code == 422 and "jamais un nom de personne" in refused.text
    assert "CCAS de Saint-Nazaire" in refused.text  # what was typed stays in the form
    made = claire.post("/machines/TOT-0001/destination", {**family, "file_number": "SN-2026/114"})
    assert made.status_code == 303, made.text[:300]
    page = claire.page("/machines/TOT-0001")
    assert "SN-2026/114" in page and "Famille (via une structure sociale)" in page
    assert "claire" in page and "événement signé" in page
    assert count(claire.page("/lots/LOT-TOT-01"), "given") == 1
    assert api.db_url
    db = Database(api.db_url)
    try:
        assert verify_destinations(db) is None
        with db.transaction(write=True) as tx:  # someone edits the stored event by hand
            tx.run("UPDATE destinations SET body = replace(body, 'SN-2026/114', 'SN-2026/115')")
        assert "does not match its digest" in str(verify_destinations(db))
    finally:
        db.close()


def test_benches_are_approved_and_revoked_from_the_page_by_admins_only(
    sqlite_api: Api, tmp_path: Path
) -> None:
    files = BenchFiles(tmp_path / "bench")
    assert sqlite_api.post("/v1/benches", json=files.enrolment()).status_code == 201
    bench_id = files.key.bench_id
    claire, admin = supervisor(sqlite_api), supervisor(sqlite_api, "root", "admin")
    assert bench_id not in claire.page("/postes")  # pending benches: admins only
    assert "en attente" in admin.page("/postes")
    decision = f"/postes/{bench_id}/decision"
    assert claire.post(decision, {"decision": "approved"}).status_code == 403
    approved = admin.post(decision, {"decision": "approved"})
    assert approved.status_code == 200 and f"Poste {bench_id} : approuvé" in approved.text
    sync_bench(sqlite_api, files, machine_records("TOT-0001", "S1"))
    page = claire.page("/postes")
    assert "6 enregistrement(s)" in page and "pas encore visé" in page
    unconfirmed = admin.post(decision, {"decision": "revoked"})
    assert unconfirmed.status_code == 422 and "Cochez la case" in unconfirmed.text
    assert admin.post(decision, {"decision": "revoked", "confirm": "oui"}).status_code == 200
    assert "révoqué" in admin.page("/postes")
    with files.open() as journal:
        journal.append_many([machine_records("TOT-0002", "S2")[0]])
        chain = journal.export_chain()
    refused = sqlite_api.post("/v1/records/batch", json={"envelopes": chain[-1:]})
    assert (refused.status_code, refused.json()["error"]) == (403, "key_revoked")


def test_the_lot_and_the_machine_say_how_each_machine_was_imaged(
    sqlite_api: Api, tmp_path: Path
) -> None:
    """Issue 21: a laptop imaged in the classroom (multicast, some ranges again over HTTP)
    and one whose record says nothing of its transport (older benches): the pages say
    what the signed record says, and nothing for the one that says nothing."""
    claire = lot_with_machine(sqlite_api, tmp_path)  # TOT-0001: no transport recorded
    records = machine_records("TOT-0002", "S2")
    records[-1]["transport"] = {
        "kind": "multicast", "source": "239.255.0.1:9000 (192.168.50.1)",
        "frames_total": 6, "frames_verified": 6,
        "fallback_ranges": [[8388608, 16777216], [16777216, 25165824]],
        "http_requests": 2, "http_resumed": 1,
    }  # fmt: skip
    sync_bench(sqlite_api, BenchFiles(tmp_path / "bench"), records)
    page = claire.page("/machines/TOT-0002")
    shown = re.search(r'id="image-transport">([^<]*)<', page)
    assert shown, "the machine page says how its image came"
    assert html.unescape(shown.group(1)) == (
        "flux multicast de la salle (239.255.0.1:9000 (192.168.50.1)) ; 6 blocs sur 6 "
        "vérifiés ; 2 plage(s) reprise(s) par HTTP ; 1 reprise(s) après une coupure"
    )
    assert 'id="image-transport"' not in claire.page("/machines/TOT-0001")
    claire.post("/lots/LOT-TOT-01/machines", {"asset_tags": "TOT-0002"})
    lot = claire.page("/lots/LOT-TOT-01")
    rows = {
        tag: row
        for row in re.findall(r"<tr>.*?</tr>", lot, re.DOTALL)
        for tag in ("TOT-0001", "TOT-0002")
        if f">{tag}<" in row
    }
    assert "(multicast)" in rows["TOT-0002"] and "installée" in rows["TOT-0002"]
    assert "installée" in rows["TOT-0001"] and "(" not in rows["TOT-0001"].split("installée")[1]
