"""The asset label of a machine, found in the journal by its serial or its asset tag
(the screen records machines by asset tag when they have no firmware identity)."""

from __future__ import annotations

from station.journal.store import StoredRecord
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
    return AssetLabel(
        asset_tag=host.get("asset_tag") or serial or key,
        model=model or "?",
        serial=serial or "-",
        grade=None,
        qr=qr,
    )
