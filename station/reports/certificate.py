"""A disk's certificate of erasure as data: which signed records it stands on, the facts
they state, the QR payload, and the JSON that `station verify` checks offline.

Which records: the disk's wipe *session* (from the DiskSeen that opened it to the step
that judged it) that holds the asked record, or the disk's latest judged session; plus
the host inventory that lists the disk (source device) and the supervisor sign-off
whose range covers the session (validation). Every envelope is re-verified against the
bench key before it goes into a certificate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from station.domain.certificate import certificate_facts, disk_key
from station.domain.certificate_qr import QrClaim, page_url, qr_payload
from station.errors import UsageError
from station.journal.chain import verify_record
from station.journal.store import Journal, StoredRecord

DOCUMENT_TYPE = "station-certificate/1"
_RECORD_ID = re.compile(r"^[0-9a-f]{64}$")
# A session is certifiable once it did erasure work, even when that work failed.
_WORK = ("overwrite_pass", "purge_command", "verification")


@dataclass(frozen=True)
class Certificate:
    facts: dict[str, Any]
    records: list[StoredRecord]
    keyid: str
    bench_id: str
    qr: str
    public_key_pem: str
    anchor_id: str  # the disk session's last record: what the certificate is "about"

    @property
    def record_ids(self) -> list[str]:
        return [record.record_id for record in self.records]

    def to_json(self, lang: str = "fr") -> dict[str, Any]:
        return {
            "document": DOCUMENT_TYPE,
            "lang": lang,
            "facts": self.facts,
            "record_ids": self.record_ids,
            "qr": self.qr,
            "bench_key": {"keyid": self.keyid, "public_key_pem": self.public_key_pem},
            "envelopes": [record.envelope for record in self.records],
        }


def all_records(journal: Journal) -> list[StoredRecord]:
    start = datetime(1970, 1, 1, tzinfo=UTC)
    return journal.records_between(start, datetime(9999, 1, 1, tzinfo=UTC))


def build_certificate(
    journal: Journal, subject: str, *, inventory_url: str | None = None
) -> Certificate:
    """The certificate of the disk named by `subject`: a record id, a serial or a WWN."""
    records = all_records(journal)
    session = select_session(records, subject)
    return certificate_from(journal, records, session, inventory_url=inventory_url)


def certificate_from(
    journal: Journal,
    records: list[StoredRecord],
    session: list[StoredRecord],
    *,
    inventory_url: str | None = None,
) -> Certificate:
    ordered = certificate_records(records, session)
    public = {journal.key.keyid: journal.key.public_key}
    bodies = [verify_record(r.envelope, public, where=f"journal seq {r.seq}") for r in ordered]
    anchor = session[-1].record_id
    url = (
        page_url(inventory_url, anchor, journal.bench_id, journal.key.keyid)
        if inventory_url
        else None
    )
    claim = QrClaim(journal.bench_id, journal.key.keyid, [r.record_id for r in ordered], url)
    return Certificate(
        facts=certificate_facts(bodies),
        records=ordered,
        keyid=journal.key.keyid,
        bench_id=journal.bench_id,
        qr=qr_payload(claim),
        public_key_pem=journal.key.public_pem(),
        anchor_id=anchor,
    )


def certificate_records(
    records: list[StoredRecord], session: list[StoredRecord]
) -> list[StoredRecord]:
    """What a certificate stands on: the disk session, the host inventory listing the
    disk, and the supervisor sign-off covering the session, in chain order."""
    chosen = {record.seq: record for record in session}
    key = disk_key(session[-1].body().get("disk"))
    for extra in (_host_inventory(records, key, session), _signoff(records, session)):
        if extra is not None:
            chosen[extra.seq] = extra
    return [chosen[seq] for seq in sorted(chosen)]


def session_ending(records: list[StoredRecord], record_id: str) -> list[StoredRecord] | None:
    """The disk session that holds `record_id` (None when no disk session does)."""
    for runs in disk_sessions(records).values():
        for run in runs:
            if any(record.record_id == record_id for record in run):
                return run
    return None


def disk_sessions(records: list[StoredRecord]) -> dict[str, list[list[StoredRecord]]]:
    """Each disk's records, split into sessions at each DiskSeen, in chain order."""
    sessions: dict[str, list[list[StoredRecord]]] = {}
    for record in records:
        key = disk_key(record.body().get("disk"))
        if key is None:
            continue
        runs = sessions.setdefault(key, [])
        if record.kind == "disk_seen" or not runs:
            runs.append([])
        runs[-1].append(record)
    return sessions


def worked_sessions(records: list[StoredRecord]) -> list[list[StoredRecord]]:
    """Every session that did erasure work (one certificate each), in chain order."""
    found = [
        run
        for runs in disk_sessions(records).values()
        for run in runs
        if any(record.kind in _WORK for record in run)
    ]
    return sorted(found, key=lambda run: run[0].seq)


def select_session(records: list[StoredRecord], subject: str) -> list[StoredRecord]:
    sessions = disk_sessions(records)
    if _RECORD_ID.match(subject):
        found = session_ending(records, subject)
        if found is not None:
            return found
        raise UsageError(f"no disk record {subject[:16]}… in this journal")
    wanted = {f"serial:{subject}", f"wwn:{subject}"}
    runs = [run for key, found in sessions.items() if key in wanted for run in found]
    if not runs:
        raise UsageError(f"no record of a disk with serial or WWN {subject!r} in this journal")
    worked = [run for run in runs if any(record.kind in _WORK for record in run)]
    return (worked or runs)[-1]


def _host_inventory(
    records: list[StoredRecord], key: str | None, session: list[StoredRecord]
) -> StoredRecord | None:
    last = session[-1].seq
    found = None
    for record in records:
        if record.kind != "host_inventory" or record.seq > last:
            continue
        disks = record.body().get("disks") or []
        if any(disk_key(disk) == key for disk in disks):
            found = record
    return found


def _signoff(records: list[StoredRecord], session: list[StoredRecord]) -> StoredRecord | None:
    first, last = session[0].seq, session[-1].seq
    found = None
    for record in records:
        if record.kind != "supervisor_signoff":
            continue
        body = record.body()
        if int(body.get("first_seq", 0)) <= first and int(body.get("last_seq", 0)) >= last:
            found = record
    return found
