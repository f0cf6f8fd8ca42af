"""The supervisor's daily log of one bench: what was handled that day (Europe/Paris), by
whom, with which steps, results, durations and failures, licences (hashed), records not
yet synced, and the supervisor's sign-off checked against the chain.

Built from signed record bodies only, so the bench (its journal) and the inventory
server (its stored records) produce the same log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from station.domain.certificate import disk_key, erasure_result, stopped_on_request
from station.domain.text import LocalizedText
from station.reports.daily_log_checks import Signoff, discrepancies, failure_reasons, test_notes
from station.reports.wording import PARIS, parse_utc, size

Body = Mapping[str, Any]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts and ends in Europe/Paris."""
    start = datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)
    return start, end


@dataclass
class LogLine:
    """One disk session, or one machine's host-level steps, of the day."""

    started_at: str
    ended_at: str
    machine: str | None
    disk: str | None
    serial: str | None
    operators: list[str]
    steps: list[str]
    result: str | None
    failures: list[LocalizedText]
    licences: list[str]
    seqs: list[int]
    unsynced: int | None
    stopped: bool = False  # work stopped on request: not finished, not failed either
    # Functional tests skipped (with why) or that found a defect: seen, not failures.
    tests: list[LocalizedText] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return (parse_utc(self.ended_at) - parse_utc(self.started_at)).total_seconds()


@dataclass
class DailyLog:
    bench_id: str
    day: date
    lines: list[LogLine]
    record_count: int
    first_seq: int | None
    last_seq: int | None
    last_record_id: str | None
    unsynced: int | None  # None: not known here (the server holds only synced records)
    signoff: Signoff | None = None
    replaced: list[Signoff] = field(default_factory=list)  # earlier sign-offs of the day
    discrepancies: list[LocalizedText] = field(default_factory=list)

    @property
    def failures(self) -> int:
        # A disk stopped on request is not erased, but it did not fail either.
        return sum(
            1
            for line in self.lines
            if not line.stopped and (line.result == "failed" or line.failures)
        )


def build_daily_log(
    bench_id: str,
    day: date,
    bodies: Sequence[Body],
    signoffs: Iterable[Body] = (),
    pending_seqs: set[int] | None = None,
) -> DailyLog:
    """`bodies`: the bench's records created on `day`, in chain order; `signoffs`: its
    sign-off records for `day` (whenever made); `pending_seqs`: seqs not yet synced."""
    work = [body for body in bodies if body.get("kind") != "supervisor_signoff"]
    hosts = _disk_hosts(work)
    lines = [_line(group, hosts, pending_seqs) for group in _groups(work)]
    lines.sort(key=lambda line: line.started_at)
    last = work[-1] if work else None
    log = DailyLog(
        bench_id=bench_id,
        day=day,
        lines=lines,
        record_count=len(work),
        first_seq=int(work[0]["seq"]) if work else None,
        last_seq=int(last["seq"]) if last else None,
        last_record_id=str(last["record_id"]) if last else None,
        unsynced=None if pending_seqs is None else sum(int(b["seq"]) in pending_seqs for b in work),
    )
    chosen = [body for body in signoffs if str(body.get("day")) == day.isoformat()]
    if chosen:
        log.signoff = _signoff(chosen[-1])
        log.replaced = [_signoff(body) for body in chosen[:-1]]
        log.discrepancies = discrepancies(log.signoff, work)
    return log


def _signoff(body: Body) -> Signoff:
    return Signoff(
        supervisor=str(body.get("supervisor")),
        decision=str(body.get("decision")),
        signed_at=str(body.get("created_at")),
        first_seq=int(body.get("first_seq", 0)),
        last_seq=int(body.get("last_seq", 0)),
        record_id=str(body.get("last_record_id")),
        comment=body.get("comment"),
    )


def _host_name(host: Body | None) -> str | None:
    if not host:
        return None
    name = " ".join(str(host[k]) for k in ("manufacturer", "product") if host.get(k))
    ident = host.get("asset_tag") or host.get("serial") or host.get("uuid")
    return " — ".join(part for part in (name, str(ident) if ident else "") if part) or None


def _disk_hosts(work: Sequence[Body]) -> dict[str, str]:
    """Which machine each disk was in, from the day's host inventories and deploys."""
    found: dict[str, str] = {}
    for body in work:
        name = _host_name(body.get("host"))
        if name is None:
            continue
        for disk in body.get("disks") or []:
            found[disk_key(disk) or ""] = name
        if body.get("disk"):
            found[disk_key(body["disk"]) or ""] = name
    return found


def _groups(work: Sequence[Body]) -> list[list[Body]]:
    """Disk sessions (split at each DiskSeen) and host-level steps (per machine)."""
    groups: dict[str, list[list[Body]]] = {}
    for body in work:
        disk = body.get("disk")
        if isinstance(disk, Mapping):
            runs = groups.setdefault(disk_key(disk) or "", [])
            if body.get("kind") == "disk_seen" or not runs:
                runs.append([])
        else:
            runs = groups.setdefault("host:" + str(_host_name(body.get("host"))), [])
            if not runs:
                runs.append([])
        runs[-1].append(body)
    return [run for runs in groups.values() for run in runs]


def _line(group: list[Body], hosts: dict[str, str], pending: set[int] | None) -> LogLine:
    disk = next((b["disk"] for b in group if isinstance(b.get("disk"), Mapping)), None)
    times = [str(b["created_at"]) for b in group]
    times += [str(b[k]) for b in group for k in ("started_at", "ended_at") if b.get(k)]
    host = next((_host_name(b.get("host")) for b in group if b.get("host")), None)
    seqs = [int(b["seq"]) for b in group]
    return LogLine(
        started_at=min(times, key=parse_utc),
        ended_at=max(times, key=parse_utc),
        machine=host or (hosts.get(disk_key(disk) or "") if disk else None),
        disk=_disk_name(disk),
        serial=str(disk.get("serial")) if disk and disk.get("serial") else None,
        operators=list(dict.fromkeys(str(b.get("operator")) for b in group)),
        steps=list(dict.fromkeys(str(b.get("kind")) for b in group)),
        result=erasure_result(group) if disk else None,
        failures=[reason for b in group for reason in failure_reasons(b)],
        licences=[
            f"{b.get('product')}: sha256 {str(b.get('licence_sha256'))[:16]}…"
            for b in group
            if b.get("kind") == "licence_assignment"
        ],
        seqs=seqs,
        unsynced=None if pending is None else sum(seq in pending for seq in seqs),
        stopped=_stopped(group),
        tests=[note for b in group for note in test_notes(b)],
    )


def _stopped(group: list[Body]) -> bool:
    """The session's work was stopped on request: its erase before it was proved, or
    its image (the disk is erased, the line's result says so, but it is not ready)."""
    return stopped_on_request(group) or any(b.get("kind") == "work_cancelled" for b in group)


def _disk_name(disk: Body | None) -> str | None:
    if not disk:
        return None
    parts = [str(disk.get("model") or disk.get("path") or "?")]
    if disk.get("size_bytes"):
        parts.append(size(int(disk["size_bytes"]), "fr").split(" (")[0])
    return " ".join(parts)
