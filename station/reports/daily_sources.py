"""The bench's own daily log, from its journal (records re-verified with the bench key),
and the supervisor's sign-off record that closes a day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from station.domain.bench_profile import BenchProfile
from station.domain.record import parse_body
from station.domain.text import LocalizedText
from station.errors import NotProven, RecordError, UsageError
from station.journal.chain import verify_record
from station.journal.store import Journal, StoredRecord
from station.reports.daily_log import DailyLog, build_daily_log, day_bounds
from station.reports.wording import day_text, localized

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def journal_daily_log(journal: Journal, day: date) -> DailyLog:
    start, end = day_bounds(day)
    keys = {journal.key.keyid: journal.key.public_key}
    bodies, problems = _verified(journal.records_between(start, end), keys)
    signoffs, later_problems = _verified(
        [r for r in journal.records_between(start, FAR_FUTURE) if r.kind == "supervisor_signoff"],
        keys,
    )
    pending = {item.seq for item in journal.pending(limit=1_000_000)}
    log = build_daily_log(journal.bench_id, day, bodies, signoffs, pending)
    log.discrepancies = [*problems, *later_problems, *log.discrepancies]
    return log


NOT_PROVEN = "unknown supervisor id or wrong secret: nothing was signed"


def prove_supervisor(bench: BenchProfile, code: str, secret: str | None) -> str:
    """The supervisor a typed id or scanned badge names, once their secret matched;
    otherwise NotProven, with one message whatever was wrong (id, secret, none set)."""
    supervisor = bench.identify(code) or code.strip()
    if not bench.proves(supervisor, secret):
        raise NotProven(NOT_PROVEN)
    return supervisor


def sign_off(
    journal: Journal,
    day: date,
    supervisor: str,
    *,
    decision: str = "approved",
    comment: str | None = None,
) -> StoredRecord:
    """Append the supervisor's signed approval (or rejection) of the day's records.
    The caller has proven who signs (prove_supervisor)."""
    start, end = day_bounds(day)
    work = [r for r in journal.records_between(start, end) if r.kind != "supervisor_signoff"]
    if not work:
        raise UsageError(f"no record on {day_text(day)}: nothing to sign off")
    try:
        body = parse_body(
            {
                "kind": "supervisor_signoff",
                "created_at": datetime.now(UTC),
                "operator": supervisor,
                "supervisor": supervisor,
                "day": day,
                "first_seq": work[0].seq,
                "last_seq": work[-1].seq,
                "last_record_id": work[-1].record_id,
                "decision": decision,
                "comment": comment,
            }
        )
    except RecordError as exc:
        raise UsageError(exc.one_line()) from exc
    return journal.append(body)


def _verified(
    records: list[StoredRecord], keys: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[LocalizedText]]:
    """Bodies that verify; a record that does not is reported, never silently used."""
    bodies: list[dict[str, Any]] = []
    problems: list[LocalizedText] = []
    for record in records:
        try:
            bodies.append(verify_record(record.envelope, keys, where=f"at seq {record.seq}"))
        except RecordError as exc:
            problems.append(
                localized(
                    f"l'enregistrement seq {record.seq} ne se vérifie pas : {exc.one_line()}",
                    f"record seq {record.seq} does not verify: {exc.one_line()}",
                )
            )
    return bodies, problems
