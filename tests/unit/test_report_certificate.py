"""Certificate facts and daily-log logic on records signed by a real journal: a firmware
purge with SMART before and after, the host that held the disk, the supervisor's
sign-off; then what a verifier and the supervisor see when the chain disagrees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from station.domain.certificate import certificate_facts, first_difference
from station.domain.certificate_qr import parse_qr_payload
from station.errors import RecordError, UsageError
from station.journal.documents import verify_document
from station.journal.keys import generate_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import build_certificate
from station.reports.certificate_pdf import certificate_pdf
from station.reports.daily_log import build_daily_log
from station.reports.daily_sources import journal_daily_log, sign_off
from station.reports.wording import decimal, duration, local_time, parse_day, size

DAY = date(2026, 11, 22)
SERIAL = "WD-WCC4N0000001"


def at(clock: str) -> str:
    return f"2026-11-22T{clock}Z"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    key = generate_key("bench-u1")
    with Journal(tmp_path / "journal.sqlite3", key) as opened:
        opened.append_many(
            [
                sample_body("host_inventory", created_at=at("08:00:00"), operator="op-3"),
                sample_body("disk_seen", created_at=at("08:01:00"), operator="op-3"),
                sample_body("smart_assessment", created_at=at("08:02:00"), operator="op-3"),
                sample_body("purge_command", created_at=at("08:30:00"), operator="op-3"),
                sample_body("verification", created_at=at("08:40:00"), operator="op-3",
                            result="purged"),
                sample_body("smart_assessment", created_at=at("08:41:00"), operator="op-3",
                            power_on_hours=21035),
            ]
        )  # fmt: skip
        yield opened


def test_purge_certificate_facts(journal: Journal) -> None:
    certificate = build_certificate(journal, SERIAL, inventory_url="https://inv.example/")
    facts = certificate.facts
    assert facts["result"] == "purged" and facts["method"] == "purge"
    assert facts["technique"] == "ata_secure_erase"
    assert facts["disk"]["serial"] == SERIAL and facts["disk"]["media_type"] == "hdd"
    assert facts["source_device"]["serial"] == "PF0ABCDE"  # the host inventory listing it
    assert facts["smart_before"]["power_on_hours"] == 21034
    assert facts["smart_after"]["power_on_hours"] == 21035
    # Under "Méthode", only the erasure's commands: SMART's smartctl is not among them.
    assert [c["argv"][0] for c in facts["commands"]] == ["hdparm"]
    assert facts["disk"]["manufacturer"] == "Western Digital"
    assert facts["destination"] is None and facts["supervisor"] is None
    assert facts["records"][0]["kind"] == "host_inventory"
    claim = parse_qr_payload(certificate.qr)
    assert claim.is_page and claim.record_ids == [certificate.record_ids[-1]]
    assert certificate.qr == (
        f"https://inv.example/verification/{certificate.record_ids[-1]}"
        f"?poste=bench-u1&cle={journal.key.keyid}"
    )
    assert certificate_pdf(certificate, "fr").startswith(b"%PDF")


def test_sign_off_appears_on_the_certificate_and_verifies(journal: Journal) -> None:
    stored = sign_off(journal, DAY, "sup-2", comment="RAS")
    certificate = build_certificate(journal, SERIAL)
    assert certificate.facts["supervisor"]["record_id"] == stored.record_id
    keys = {journal.key.keyid: journal.key.public_key}
    document = json.loads(json.dumps(certificate.to_json()))
    assert verify_document(document, keys).shape == "certificate"
    document["facts"]["supervisor"]["decision"] = "rejected"
    with pytest.raises(RecordError, match=r"facts\.supervisor\.decision differs"):
        verify_document(document, keys)


def test_sign_off_of_an_empty_day_is_refused(journal: Journal) -> None:
    with pytest.raises(UsageError, match="nothing to sign off"):
        sign_off(journal, date(2026, 11, 23), "sup-2")
    with pytest.raises(UsageError, match="supervisor"):
        sign_off(journal, DAY, "Jean Dupont <jean@example.org>")  # never a name


def test_daily_log_discrepancies(journal: Journal) -> None:
    sign_off(journal, DAY, "sup-2")
    clean = journal_daily_log(journal, DAY)
    assert clean.signoff is not None and clean.discrepancies == []
    assert clean.unsynced == clean.record_count
    journal.append(sample_body("self_test", created_at=at("18:00:00"), operator="op-3"))
    later = journal_daily_log(journal, DAY)
    assert [d.en for d in later.discrepancies] == [
        "1 record(s) added after the sign-off (seq 8 to 8)"
    ]
    assert later.discrepancies[0].fr == "1 enregistrement(s) ajouté(s) après le visa (seq 8 à 8)"


def test_daily_log_when_the_signed_record_was_replaced() -> None:
    signoff = {"kind": "supervisor_signoff", "day": "2026-11-22", "supervisor": "sup-2",
               "decision": "approved", "first_seq": 1, "last_seq": 3, "created_at": at("19:00:00"),
               "last_record_id": "a" * 64}  # fmt: skip
    bodies = [
        {"kind": "self_test", "seq": seq, "record_id": ("b" if seq == 3 else "c") * 64,
         "created_at": at("09:00:00"), "operator": "op-1", "test": "short", "status": "passed",
         "disk": {"serial": "S1", "size_bytes": 1}}
        for seq in (1, 3)
    ]  # fmt: skip
    log = build_daily_log("bench-x", DAY, bodies, [signoff])
    found = [problem.en for problem in log.discrepancies]
    assert "1 record(s) signed off are missing (seq 2)" in found
    assert "the record at seq 3 is not the one signed off" in found
    assert log.lines[0].failures == []


def test_first_difference_names_the_path() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == "facts.a[1].b"
    assert first_difference({"a": 1}, {"a": 1.0}) == "facts.a"  # a type change is a change
    assert first_difference({"a": [1]}, {"a": [1]}) is None


def test_qr_payload_errors_are_clear() -> None:
    with pytest.raises(RecordError, match="not JSON"):
        parse_qr_payload("hello")
    with pytest.raises(RecordError, match="not a Station certificate"):
        parse_qr_payload('{"t": "other"}')
    with pytest.raises(RecordError, match="'ids'"):
        parse_qr_payload('{"t": "station-certificate/1", "bench": "b", "key": "k", "ids": []}')


def test_facts_refuse_records_without_a_disk() -> None:
    with pytest.raises(RecordError, match="none of its records is about a disk"):
        certificate_facts([{"kind": "host_inventory", "host": {}}])


def test_french_formats() -> None:
    assert decimal(12.5, "fr") == "12,5" and decimal(12.5, "en") == "12.5"
    assert size(500_107_862_016, "fr") == "500,1 Go (500107862016 o)"
    assert duration(3725, "fr") == "1 h 02 min"
    assert local_time("2026-11-22T23:30:00Z", "fr") == "23/11/2026 00:30"  # Paris, winter
    assert local_time("2026-07-01T10:00:00Z", "fr") == "01/07/2026 12:00"  # Paris, summer
    assert parse_day("22/11/2026") == parse_day("2026-11-22") == DAY
    with pytest.raises(ValueError, match="not a date"):
        parse_day("2026/22/11")
    assert datetime(2026, 11, 22, tzinfo=UTC)


def test_overwrite_tool_and_version_come_from_the_pass_records() -> None:
    seen = sample_body("disk_seen", created_at=at("09:00:00"))
    named = sample_body(
        "overwrite_pass", created_at=at("09:10:00"), tool={"name": "station", "version": "0.1.0"}
    )
    facts = certificate_facts([seen, named])
    assert {"name": "station", "version": "0.1.0", "use": "overwrite"} in facts["tools"]
    # A pass recorded before passes named their tool: Station, version not claimed.
    older = {key: value for key, value in named.items() if key != "tool"}
    tools = certificate_facts([seen, older])["tools"]
    assert {"name": "station", "version": None, "use": "overwrite"} in tools


def test_a_version_that_repeats_the_tool_name_is_said_once() -> None:
    seen = sample_body("disk_seen", created_at=at("09:00:00"))
    smart = sample_body("smart_assessment", created_at=at("09:01:00"))
    smart["commands"][0]["tool"]["version"] = "smartctl 7.3"
    tools = certificate_facts([seen, smart])["tools"]
    assert tools == [{"name": "smartctl", "version": "7.3", "use": "command"}]
