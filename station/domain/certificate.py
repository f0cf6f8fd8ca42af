"""What a certificate of erasure states, derived only from signed record bodies.

`certificate_facts(bodies)` is a pure function of the records a certificate embeds, so a
verifier recomputes it and compares it with the facts the certificate prints: changing
one word of a certificate (a result, a serial) is detected without trusting who made it.
Fields the records do not carry are None, shown as "not recorded", never guessed
(docs/sanitization.md, "Certificate of sanitization fields").

The QR payload lives in station.domain.certificate_qr.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from station.domain.results import Result, worst
from station.errors import RecordError

Body = Mapping[str, Any]

# Smart fields copied as they were signed (anything else in the record stays out).
_SMART_FIELDS = (
    "verdict",
    "overall_health",
    "power_on_hours",
    "reallocated_sectors",
    "pending_sectors",
    "media_errors",
    "percentage_used",
    "temperature_c",
    "created_at",
)


def disk_key(disk: Body | None) -> str | None:
    """What names one physical disk across records: its serial, else its WWN; a disk with
    neither (a loop device, a file) is named by model, size and path."""
    if not disk:
        return None
    if disk.get("serial"):
        return f"serial:{disk['serial']}"
    if disk.get("wwn"):
        return f"wwn:{disk['wwn']}"
    return f"path:{disk.get('model')}:{disk.get('size_bytes')}:{disk.get('path')}"


def certificate_facts(bodies: Sequence[Body]) -> dict[str, Any]:
    """The certificate's fields from its records (disk records, plus any host inventory
    and supervisor sign-off records embedded with them)."""
    disk_bodies = [body for body in bodies if isinstance(body.get("disk"), Mapping)]
    if not disk_bodies:
        raise RecordError("certificate: none of its records is about a disk")
    of_kind = _by_kind(bodies)
    seen = of_kind.get("disk_seen", [])
    passes = of_kind.get("overwrite_pass", [])
    purges = of_kind.get("purge_command", [])
    checks = of_kind.get("verification", [])
    work = [*passes, *purges]
    first_work = min((str(body.get("created_at")) for body in work), default=None)
    disk = dict(disk_bodies[-1]["disk"])
    started, ended = _times(bodies, passes, purges, checks)
    return {
        "disk": _disk(disk, seen, of_kind.get("hpa_dco_change", [])),
        "source_device": _source_device(disk, of_kind.get("host_inventory", [])),
        "method": _method(passes, purges),
        "technique": _technique(passes, purges),
        "passes": [_pass(body) for body in passes],
        "purge_commands": [_purge(body) for body in purges],
        "tools": _tools(bodies, passes),
        "commands": [_command(c) for body in bodies for c in body.get("commands") or []],
        "verification": _verification(checks[-1]) if checks else None,
        "smart_before": _smart(of_kind.get("smart_assessment", []), first_work, before=True),
        "smart_after": _smart(of_kind.get("smart_assessment", []), first_work, before=False),
        "started_at": started,
        "ended_at": ended,
        "duration_s": _duration(started, ended),
        "throughput": _throughput(passes),
        "result": erasure_result(bodies),
        "stopped": stopped_on_request(passes, checks),
        "operator": disk_bodies[-1].get("operator"),
        "bench_id": disk_bodies[-1].get("bench_id"),
        "profile": disk_bodies[-1].get("profile"),
        "supervisor": _supervisor(of_kind.get("supervisor_signoff", [])),
        "destination": None,  # no record carries it yet: printed as "not recorded"
        "records": [
            {"seq": body.get("seq"), "kind": body.get("kind"), "record_id": body.get("record_id")}
            for body in bodies
        ],
    }


def first_difference(left: Any, right: Any, path: str = "facts") -> str | None:
    """The first path where two JSON values differ (to say which claim was altered)."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        for key in sorted(set(left) | set(right)):
            found = first_difference(left.get(key), right.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if left == right and type(left) is type(right) else path


# -- the fields ------------------------------------------------------------------------


def _by_kind(bodies: Sequence[Body]) -> dict[str, list[Body]]:
    found: dict[str, list[Body]] = {}
    for body in bodies:
        found.setdefault(str(body.get("kind")), []).append(body)
    return found


def _disk(disk: Body, seen: list[Body], changes: list[Body]) -> dict[str, Any]:
    last_seen = seen[-1] if seen else {}
    hpa = [body for body in changes if body.get("feature") == "hpa"]
    dco = [body for body in changes if body.get("feature") == "dco"]
    native = next((b["native_max_sectors"] for b in changes if b.get("native_max_sectors")), None)
    return {
        "manufacturer": disk.get("vendor"),
        "model": disk.get("model"),
        "serial": disk.get("serial"),
        "wwn": disk.get("wwn"),
        "capacity_bytes": disk.get("size_bytes"),
        "path": disk.get("path"),
        "media_type": last_seen.get("media_kind"),
        "bus": last_seen.get("bus"),
        "bridge": last_seen.get("bridge"),
        "native_max_sectors": native,
        "hpa": [_change(body) for body in hpa] or None,
        "dco": [_change(body) for body in dco] or None,
    }


def _change(body: Body) -> dict[str, Any]:
    return {
        "action": body.get("action"),
        "max_sectors_before": body.get("max_sectors_before"),
        "max_sectors_after": body.get("max_sectors_after"),
    }


def _source_device(disk: Body, hosts: list[Body]) -> dict[str, Any] | None:
    key = disk_key(disk)
    for body in reversed(hosts):
        if any(disk_key(other) == key for other in body.get("disks") or []):
            return dict(body.get("host") or {})
    return None


def _method(passes: list[Body], purges: list[Body]) -> str | None:
    done = [body for body in purges if body.get("completed")]
    if any(body.get("method") == "purge" for body in done):
        return "purge"
    return "clear" if passes or done else None


def _technique(passes: list[Body], purges: list[Body]) -> str | None:
    names = [str(body.get("technique")) for body in purges if body.get("completed")]
    if passes:
        names.append("overwrite")
    return " + ".join(dict.fromkeys(names)) or None


def _pass(body: Body) -> dict[str, Any]:
    return {
        "index": body.get("pass_index"),
        "count": body.get("pass_count"),
        "pattern": body.get("pattern"),
        "pattern_hex": body.get("pattern_hex"),
        "bytes_total": body.get("bytes_total"),
        "bytes_written": body.get("bytes_written"),
        "bad_ranges": len(body.get("bad_ranges") or []),
        "completed": body.get("completed"),
        "resumed": body.get("resumed", False),
        "started_at": body.get("started_at"),
        "ended_at": body.get("ended_at"),
        "rate_bps": body.get("rate_bps"),
        "throughput_mbps": list(body.get("throughput_mbps") or []),
    }


def _purge(body: Body) -> dict[str, Any]:
    keys = ("technique", "method", "supported", "accepted", "completed", "result", "notes")
    return {key: body.get(key) for key in keys}


def _command(command: Body) -> dict[str, Any]:
    tool = command.get("tool") or {}
    return {
        "tool": tool.get("name"),
        "version": tool.get("version"),
        "argv": command.get("argv"),
        "exit_code": command.get("exit_code"),
        "timed_out": command.get("timed_out", False),
        "started_at": command.get("started_at"),
        "ended_at": command.get("ended_at"),
    }


def _tools(bodies: Sequence[Body], passes: list[Body]) -> list[str]:
    names: dict[str, None] = {}
    for body in passes:
        # Records made before passes named their tool say only "station".
        tool = body.get("tool") or {"name": "station"}
        label = " ".join(str(p) for p in (tool.get("name"), tool.get("version")) if p)
        names[f"{label} (overwrite)"] = None
    for body in bodies:
        for command in body.get("commands") or []:
            tool = command.get("tool") or {}
            names[" ".join(str(p) for p in (tool.get("name"), tool.get("version")) if p)] = None
    return list(names)


def _verification(body: Body) -> dict[str, Any]:
    return {
        "mode": body.get("mode"),
        "coverage_percent": body.get("coverage_percent"),
        "seed_hex": body.get("seed_hex"),
        "subsections": body.get("subsections"),
        "expected": body.get("expected"),
        "bytes_checked": body.get("bytes_checked"),
        "mismatched_ranges": len(body.get("mismatched_ranges") or []),
        "unreadable_ranges": len(body.get("unreadable_ranges") or []),
        "result": body.get("result"),
        "at": body.get("created_at"),
    }


def _smart(
    assessments: list[Body], first_work: str | None, *, before: bool
) -> dict[str, Any] | None:
    if first_work is None:
        chosen = assessments[:1] if before else assessments[1:]
    elif before:
        chosen = [b for b in assessments if str(b.get("created_at")) <= first_work]
    else:
        chosen = [b for b in assessments if str(b.get("created_at")) > first_work]
    if not chosen:
        return None
    body = chosen[-1]
    return {key: body.get(key) for key in _SMART_FIELDS}


def _times(
    bodies: Sequence[Body], passes: list[Body], purges: list[Body], checks: list[Body]
) -> tuple[str | None, str | None]:
    starts = [str(body["started_at"]) for body in passes if body.get("started_at")]
    starts += [str(c["started_at"]) for b in purges for c in b.get("commands") or []]
    ends = [str(body["ended_at"]) for body in passes if body.get("ended_at")]
    ends += [str(body["created_at"]) for body in [*purges, *checks]]
    return (min(starts, default=None), max(ends, default=None))


def _duration(started: str | None, ended: str | None) -> float | None:
    if not started or not ended:
        return None
    seconds = (_parse_time(ended) - _parse_time(started)).total_seconds()
    return round(seconds, 3)


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _throughput(passes: list[Body]) -> dict[str, Any] | None:
    rates = [float(body["rate_bps"]) for body in passes if body.get("rate_bps")]
    if not passes:
        return None
    sampled = all(body.get("throughput_mbps") for body in passes)
    return {
        "average_mbps": round(sum(rates) / len(rates) / 1e6, 1) if rates else None,
        "curve": "per_slice" if sampled else "per_pass_average",
    }


def erasure_result(bodies: Sequence[Body]) -> str | None:
    """The erasure's result as its records state it (see `_result`)."""
    of_kind = _by_kind(bodies)
    return _result(
        of_kind.get("overwrite_pass", []),
        of_kind.get("purge_command", []),
        of_kind.get("verification", []),
    )


def stopped_on_request(passes: Sequence[Body], checks: Sequence[Body]) -> bool:
    """The erase was stopped on request and nothing verified the disk after: it is not
    erased, but nothing failed either (start it again, no destruction needed)."""
    return not checks and any(body.get("stopped") == "cancelled" for body in passes)


def _result(passes: list[Body], purges: list[Body], checks: list[Body]) -> str | None:
    """The verification's result (it judges the passes before it); a firmware purge's
    when nothing read back; `failed` when work was done but nothing judged it; None when
    no erasure was even attempted."""
    completed = [body for body in purges if body.get("completed")]
    if checks:
        final = Result(str(checks[-1]["result"]))
    elif completed:
        final = Result(str(completed[-1]["result"]))
    elif passes or purges:
        return Result.FAILED.value
    else:
        return None
    if any(not body.get("completed") for body in passes):
        final = worst(final, Result.FAILED)
    return final.value


def _supervisor(signoffs: list[Body]) -> dict[str, Any] | None:
    if not signoffs:
        return None
    body = signoffs[-1]
    return {
        "supervisor": body.get("supervisor"),
        "day": body.get("day"),
        "decision": body.get("decision"),
        "signed_at": body.get("created_at"),
        "record_id": body.get("record_id"),
    }
