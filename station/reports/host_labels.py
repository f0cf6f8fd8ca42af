"""The asset label of a machine, found in the journal by its serial or its asset tag
(the screen records machines by asset tag when they have no firmware identity)."""

from __future__ import annotations

from typing import Any

from station.journal.store import StoredRecord
from station.reports.fiche import same_machine
from station.reports.labels import AssetLabel


def host_key_of_disk(records: list[StoredRecord], disk_serial: str) -> str | None:
    """The asset tag (else the serial) of the newest machine recorded with this disk."""
    for record in reversed(records):
        if record.kind != "host_inventory":
            continue
        body = record.body()
        if any(d.get("serial") == disk_serial for d in body.get("disks") or []):
            host = body.get("host") or {}
            found = host.get("asset_tag") or host.get("serial")
            return str(found) if found else None
    return None


def host_label(records: list[StoredRecord], key: str, url: str | None) -> AssetLabel | None:
    """The label of the newest host inventory whose serial or asset tag is `key`."""
    wanted = key.strip().lower()
    found = [
        record
        for record in records
        if record.kind == "host_inventory"
        and wanted
        in {
            str((record.body().get("host") or {}).get(field) or "").lower()
            for field in ("serial", "asset_tag")
        }
    ]
    if not found:
        return None
    record = found[-1]
    host = record.body()["host"]
    serial = host.get("serial")
    model = " ".join(str(host[k]) for k in ("manufacturer", "product") if host.get(k))
    if not model:
        model = ", ".join(str(d.get("model")) for d in record.body().get("disks") or [])
    qr = (
        f"{url.rstrip('/')}/v1/devices/{serial}"
        if url and serial
        else f"station:record:{record.record_id}"
    )
    grade = latest_grade(
        records, [str(host[k]) for k in ("serial", "uuid", "asset_tag") if host.get(k)]
    )
    return AssetLabel(
        asset_tag=host.get("asset_tag") or serial or key,
        model=model or "?",
        serial=serial or "-",
        grade=str(grade["grade"]) if grade else None,
        qr=qr,
        defects=tuple(dict.fromkeys(d.split(" : ")[0] for d in grade.get("defects") or []))
        if grade
        else (),
    )


def latest_grade(records: list[StoredRecord], keys: list[str]) -> dict[str, Any] | None:
    """The newest grade record of the machine any of `keys` (serial, UUID, tag) names."""
    for record in reversed(records):
        if record.kind == "grade":
            body = record.body()
            if any(same_machine(body.get("host"), key) for key in keys):
                return body
    return None
