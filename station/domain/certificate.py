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

from station.domain.manufacturer import manufacturer_of
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
    erasure = [*seen, *passes, *purges, *checks]
    return {
        "disk": _disk(
            disk, seen, of_kind.get("hpa_dco_change", []), of_kind.get("smart_assessment", [])
        ),
        "source_device": _source_device(
            disk, seen, of_kind.get("host_inventory", []), of_kind.get("image_deploy", [])
        ),
        "lot": _last_said(seen, "lot"),
        "donor": _last_said(seen, "donor"),
        "method": _method(passes, purges),
        "technique": _technique(passes, purges),
        "passes": [_pass(body) for body in passes],
        "purge_commands": [_purge(body) for body in purges],
        "tools": _tools(bodies, passes),
        # Only the erasure's own commands: the image deploy has its section (`deploy`).
        "commands": [
            _command(c)
            for body in [*of_kind.get("hpa_dco_change", []), *purges]
            for c in body.get("commands") or []
        ],
        "deploy": [_deploy(body) for body in of_kind.get("image_deploy", [])],
        "verification": _verification(checks[-1]) if checks else None,
        "smart_before": _smart(of_kind.get("smart_assessment", []), first_work, before=True),
        "smart_after": _smart(of_kind.get("smart_assessment", []), first_work, before=False),
        "started_at": started,
        "ended_at": ended,
        "duration_s": _duration(started, ended),
        "throughput": _throughput(passes),
        "result": erasure_result(bodies),
        "stopped": stopped_on_request(bodies),
        "operator": (erasure or disk_bodies)[-1].get("operator"),
        "bench_id": disk_bodies[-1].get("bench_id"),
        # The erasure's profile, not that of a later step (an image deploy has its own).
        "profile": (erasure or disk_bodies)[-1].get("profile"),
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


def _disk(disk: Body, seen: list[Body], changes: list[Body], smart: list[Body]) -> dict[str, Any]:
    """The disk's identity; its model family is what smartctl's drive database said."""
    last_seen = seen[-1] if seen else {}
    family = _last_said(smart, "model_family")
    hpa = [body for body in changes if body.get("feature") == "hpa"]
    dco = [body for body in changes if body.get("feature") == "dco"]
    native = next((b["native_max_sectors"] for b in changes if b.get("native_max_sectors")), None)
    maker = manufacturer_of(
        model_family=family,
        wwn=disk.get("wwn"),
        model=disk.get("model"),
        vendor=_last_said(seen, "vendor") or disk.get("vendor"),
    )
    return {
        "manufacturer": maker[0] if maker else None,
        "manufacturer_from": maker[1] if maker else None,
        "model_family": family,
        "model": disk.get("model"),
        "serial": disk.get("serial"),
        "wwn": disk.get("wwn"),
        "firmware": _last_said(seen, "firmware"),
        "capacity_bytes": disk.get("size_bytes"),
        "path": disk.get("path"),
        "media_type": last_seen.get("media_kind"),
        "bus": last_seen.get("bus"),
        "bridge": last_seen.get("bridge"),
        "native_max_sectors": native,
        "hpa": [_change(body) for body in hpa] or None,
        "dco": [_change(body) for body in dco] or None,
    }


def _last_said(bodies: list[Body], field: str) -> Any:
    """The latest non-empty value of `field` among `bodies` (None when none says it)."""
    return next((body[field] for body in reversed(bodies) if body.get(field)), None)


def _change(body: Body) -> dict[str, Any]:
    return {
        "action": body.get("action"),
        "max_sectors_before": body.get("max_sectors_before"),
        "max_sectors_after": body.get("max_sectors_after"),
    }


def _source_device(
    disk: Body, seen: list[Body], hosts: list[Body], deploys: list[Body]
) -> dict[str, Any] | None:
    """The machine the disk came from: its host inventory (SMBIOS), else the host of its
    image deploy; the asset tag from whichever record says it, the wipe's first (what the
    operator typed for this erasure), then the deploy's, then the inventory's."""
    key = disk_key(disk)
    host: dict[str, Any] = {}
    for body in reversed(hosts):
        if any(disk_key(other) == key for other in body.get("disks") or []):
            host = dict(body.get("host") or {})
            host["asset_tag_from"] = "host_inventory" if host.get("asset_tag") else None
            break
    deployed = [dict(body.get("host") or {}) for body in deploys if body.get("host")]
    if not host and deployed:
        host = deployed[-1]
        host["asset_tag_from"] = "image_deploy" if host.get("asset_tag") else None
    tag_from_deploy = next((d["asset_tag"] for d in reversed(deployed) if d.get("asset_tag")), None)
    typed = _last_said(seen, "asset_tag")
    if typed:
        host["asset_tag"], host["asset_tag_from"] = typed, "disk_seen"
    elif tag_from_deploy and not host.get("asset_tag"):
        host["asset_tag"], host["asset_tag_from"] = tag_from_deploy, "image_deploy"
    return host or None


def _deploy(body: Body) -> dict[str, Any]:
    return {
        "image_name": body.get("image_name"),
        "image_sha256": body.get("image_sha256"),
        "outcome": body.get("outcome"),
        "verified": body.get("verified"),
        "profile": body.get("profile"),
        "at": body.get("created_at"),
        "commands": [_command(c) for c in body.get("commands") or []],
    }


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


def _tools(bodies: Sequence[Body], passes: list[Body]) -> list[dict[str, Any]]:
    """Each tool once, with its version and what it was used for (`overwrite`: wrote the
    passes; `command`: ran as an external command)."""
    found: dict[tuple[str, str | None, str], None] = {}
    for body in passes:
        # Records made before passes named their tool say only "station".
        tool = body.get("tool") or {"name": "station"}
        found[(str(tool.get("name")), _version(tool), "overwrite")] = None
    for body in bodies:
        if body.get("kind") == "image_deploy":
            continue  # the deploy's tools are listed in its own section, with its commands
        for command in body.get("commands") or []:
            tool = command.get("tool") or {}
            found[(str(tool.get("name")), _version(tool), "command")] = None
    return [{"name": n, "version": v, "use": use} for n, v, use in found]


def _version(tool: Body) -> str | None:
    """The version without the tool's name ('smartctl 7.3' says smartctl twice)."""
    version = str(tool.get("version") or "").strip()
    name = str(tool.get("name") or "")
    if name and version.lower().startswith(name.lower()):
        version = version[len(name) :].strip()
    return version or None


def _verification(body: Body) -> dict[str, Any]:
    return {
        "mode": body.get("mode"),
        "coverage_percent": body.get("coverage_percent"),
        "seed_hex": body.get("seed_hex"),
        "extent_percent": body.get("extent_percent"),
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
    # Per-slice samples are not charted: they were timed before the data reached the
    # device (page cache), so only each pass's whole-disk average is stated.
    return {"average_mbps": round(sum(rates) / len(rates) / 1e6, 1) if rates else None}


def erasure_result(bodies: Sequence[Body]) -> str | None:
    """The erasure's result as its records state it (see `_result`)."""
    of_kind = _by_kind(bodies)
    return _result(
        of_kind.get("overwrite_pass", []),
        of_kind.get("purge_command", []),
        of_kind.get("verification", []),
    )


# Stages of a `work_cancelled` record that leave the disk not (provably) erased.
ERASE_NOT_DONE = ("smart", "self_test", "erase", "verification")


def stopped_on_request(bodies: Sequence[Body]) -> bool:
    """The erasure was stopped on request before it was proved: the disk is not erased,
    but nothing failed either (start it again, no destruction needed). Said by the
    bench's `work_cancelled` record, or (`station wipe`) by a pass stopped on request
    that nothing verified after."""
    of_kind = _by_kind(bodies)
    if any(b.get("stage") in ERASE_NOT_DONE for b in of_kind.get("work_cancelled", [])):
        return True
    passes = of_kind.get("overwrite_pass", [])
    return not of_kind.get("verification") and any(
        body.get("stopped") == "cancelled" for body in passes
    )


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
