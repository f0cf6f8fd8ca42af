"""Machines as the benches' signed records describe them, grouped by asset tag.

A machine is named by its asset tag (the workshop's label) when a record carries one
(DiskSeen.asset_tag, a HostRef's asset_tag); otherwise by its SMBIOS serial, and a disk
seen alone (a loose disk, a loop device of the demo) by its own serial. Every fact shown
comes from one signed record, kept with it so the page links to the record behind it.
Nothing is guessed: a fact no record states is None ("non relevé").

The grouping reads the records' bodies in Python (about 1 s for 5,000 machines, 30,000
records, on the 2-core test machine). Every page computes from it, so the result is kept
per database and computed again only when the records change: they are append-only, so
their count (and the newest arrival) tells whether anything did. An index table would be
the next step for a network of workshops.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from station.domain.certificate import disk_key, erasure_result
from station.inventory.database import Database
from station.inventory.i18n import N_
from station.inventory.image_transport import transport_kind, transport_text

Body = Mapping[str, Any]
KINDS = (
    "disk_seen",
    "smart_assessment",
    "self_test",
    "hpa_dco_change",
    "purge_command",
    "overwrite_pass",
    "verification",
    "image_deploy",
    "licence_assignment",
    "host_inventory",
    "function_test",
    "grade",
)
ERASED = ("purged", "cleared")
# The honest labels of docs/sanitization.md, in the pages' French (N_: translated where
# a page shows them, i18n.py).
ERASURE_WORDS = {
    "purged": N_("purgé (Purge)"),
    "cleared": N_("effacé (Clear)"),
    "cleared_with_warnings": N_("effacé avec avertissements"),
    "failed": N_("échec"),
    "cancelled": N_("annulé"),
}
SMART_WORDS = {
    "healthy": N_("bon"),
    "worn": N_("usé"),
    "worn_out": N_("très usé"),
    "needs_review": N_("à examiner"),
    "failing": N_("défaillant"),
    "unknown": N_("inconnu"),
}


@dataclass(frozen=True)
class RecordRef:
    """One signed record behind a fact."""

    record_id: str
    bench_id: str
    seq: int
    kind: str
    created_at: str
    body: Body = field(repr=False, compare=False)


@dataclass
class Disk:
    key: str
    serial: str | None
    model: str | None
    size_bytes: int | None
    lot: str | None = None
    donor: str | None = None
    smart_verdict: str | None = None
    smart_record: RecordRef | None = None
    erasure: str | None = None  # purged, cleared, cleared_with_warnings, failed, cancelled
    session: list[RecordRef] = field(default_factory=list)

    @property
    def certificate_record(self) -> RecordRef | None:
        """The last record of the erasure session: the certificate's verification page."""
        return self.session[-1] if self.erasure and self.session else None

    @property
    def erased(self) -> bool:
        return self.erasure in ERASED

    @property
    def erasure_words(self) -> str:
        return ERASURE_WORDS.get(self.erasure or "", N_("pas effacé"))


@dataclass
class Machine:
    ident: str
    asset_tag: str | None = None
    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None
    chassis: str | None = None
    cpu: str | None = None
    ram_bytes: int | None = None
    battery_health_percent: float | None = None
    battery_cycle_count: int | None = None
    inventory_record: RecordRef | None = None
    image_name: str | None = None
    image_outcome: str | None = None
    image_record: RecordRef | None = None
    licence_product: str | None = None
    licence_sha256: str | None = None
    licence_record: RecordRef | None = None
    disks: dict[str, Disk] = field(default_factory=dict)
    records: list[RecordRef] = field(default_factory=list)
    # The bench's functional tests (the last record of each test) and grade.
    tests: dict[str, RecordRef] = field(default_factory=dict)
    grade_record: RecordRef | None = None

    @property
    def lots(self) -> set[str]:
        return {disk.lot for disk in self.disks.values() if disk.lot}

    @property
    def donors(self) -> set[str]:
        return {disk.donor for disk in self.disks.values() if disk.donor}

    @property
    def erased(self) -> bool:
        """Every disk of the machine erased (purged or cleared, verified), at least one."""
        return bool(self.disks) and all(disk.erased for disk in self.disks.values())

    @property
    def imaged(self) -> bool:
        return self.image_outcome == "deployed"

    @property
    def image_transport(self) -> str | None:
        """How the image reached the disk, from its signed record (None: not said)."""
        return transport_text(self.image_record.body if self.image_record else None)

    @property
    def image_transport_kind(self) -> str | None:
        return transport_kind(self.image_record.body if self.image_record else None)

    @property
    def ready(self) -> bool:
        return self.erased and self.imaged

    @property
    def certificates(self) -> list[RecordRef]:
        return [d.certificate_record for d in self.disks.values() if d.certificate_record]

    def matches(self, words: str) -> bool:
        """Search by asset tag, serial (machine or disk), make, model or lot."""
        wanted = words.casefold().strip()
        hay = [self.ident, self.asset_tag, self.serial, self.manufacturer, self.product]
        for disk in self.disks.values():
            hay += [disk.serial, disk.model, disk.lot]
        return bool(wanted) and any(wanted in str(text).casefold() for text in hay if text)


def _refs(db: Database) -> list[RecordRef]:
    marks = ", ".join("?" for _ in KINDS)  # placeholders only: the kinds are parameters
    sql = f"SELECT record_id, bench_id, seq, kind, created_at, body FROM records WHERE kind IN ({marks}) ORDER BY bench_id, seq"  # noqa: S608, E501
    with db.transaction() as tx:
        rows = tx.rows(sql, KINDS)
    return [
        RecordRef(str(rid), str(bench), int(seq), str(kind), str(at), json.loads(str(body)))
        for rid, bench, seq, kind, at, body in rows
    ]


def _host_ident(host: Body | None) -> str | None:
    if not host:
        return None
    return host.get("serial") or host.get("uuid") or None


class _Names:
    """Which machine each host and disk belongs to, learnt from every record first."""

    def __init__(self, refs: Iterable[RecordRef]) -> None:
        self.of_host: dict[str, str] = {}
        self.of_disk: dict[str, str] = {}
        for ref in refs:
            host = ref.body.get("host")
            tag = ref.body.get("asset_tag") or (host or {}).get("asset_tag")
            if not tag:
                continue
            if _host_ident(host):
                self.of_host[str(_host_ident(host))] = tag
            key = disk_key(ref.body.get("disk"))
            if key:
                self.of_disk[key] = tag
            for listed in ref.body.get("disks") or []:
                listed_key = disk_key(listed)
                if listed_key:
                    self.of_disk.setdefault(listed_key, tag)
        # A tagged host's inventory names its disks: they are that machine's.
        for ref in refs:
            host_tag = self.of_host.get(str(_host_ident(ref.body.get("host"))))
            for listed in ref.body.get("disks") or [] if host_tag else []:
                listed_key = disk_key(listed)
                if listed_key:
                    self.of_disk.setdefault(listed_key, host_tag or "")

    def machine_of(self, ref: RecordRef) -> str | None:
        body = ref.body
        host = body.get("host")
        if body.get("asset_tag"):
            return str(body["asset_tag"])
        if host and host.get("asset_tag"):
            return str(host["asset_tag"])
        host_id = _host_ident(host)
        if host_id:
            return self.of_host.get(host_id, host_id)
        key = disk_key(body.get("disk"))
        if key is None:
            return None
        if key in self.of_disk:
            return self.of_disk[key]
        disk = body.get("disk") or {}
        return str(disk.get("serial") or disk.get("wwn") or key)


def _add(machine: Machine, ref: RecordRef) -> None:
    body = ref.body
    machine.records.append(ref)
    host = body.get("host") or {}
    machine.asset_tag = body.get("asset_tag") or host.get("asset_tag") or machine.asset_tag
    machine.manufacturer = host.get("manufacturer") or machine.manufacturer
    machine.product = host.get("product") or machine.product
    machine.serial = host.get("serial") or machine.serial
    if ref.kind == "host_inventory":
        machine.inventory_record = ref
        machine.cpu = body.get("cpu")
        machine.ram_bytes = body.get("ram_bytes")
        machine.battery_health_percent = body.get("battery_health_percent")
        machine.battery_cycle_count = body.get("battery_cycle_count")
        machine.chassis = body.get("chassis")
    elif ref.kind == "image_deploy":
        machine.image_name, machine.image_outcome = body.get("image_name"), body.get("outcome")
        machine.image_record = ref
    elif ref.kind == "function_test":
        machine.tests[str(body.get("test"))] = ref
    elif ref.kind == "grade":
        machine.grade_record = ref
    elif ref.kind == "licence_assignment":
        machine.licence_product, machine.licence_sha256 = (
            body.get("product"),
            body.get("licence_sha256"),
        )
        machine.licence_record = ref
    key = disk_key(body.get("disk"))
    if key is not None:
        _add_disk(machine, key, ref)


def _add_disk(machine: Machine, key: str, ref: RecordRef) -> None:
    body = ref.body
    info = body.get("disk") or {}
    disk = machine.disks.get(key)
    if disk is None:
        disk = Disk(key, info.get("serial"), info.get("model"), info.get("size_bytes"))
        machine.disks[key] = disk
    if ref.kind == "disk_seen":
        disk.session = []  # a new session: the last one is the disk's state now
        disk.lot = body.get("lot") or disk.lot
        disk.donor = body.get("donor") or disk.donor
    if ref.kind == "smart_assessment":
        disk.smart_verdict, disk.smart_record = body.get("verdict"), ref
    if ref.kind != "image_deploy":
        disk.session.append(ref)
        disk.erasure = erasure_result([r.body for r in disk.session])


def all_machines(db: Database) -> dict[str, Machine]:
    """Every machine the benches' records name, by identifier (asset tag first).

    The dict is shared between requests until a record arrives: read it, never change it.
    """
    version = _records_version(db)
    with _CACHE_LOCK:
        kept = _CACHE.get(db.url)
        if kept is not None and kept[0] == version:
            return kept[1]
    machines = _group(_refs(db))
    with _CACHE_LOCK:
        _CACHE[db.url] = (version, machines)
    return machines


_CACHE: dict[str, tuple[tuple[int, str | None], dict[str, Machine]]] = {}
_CACHE_LOCK = threading.Lock()


def _records_version(db: Database) -> tuple[int, str | None]:
    """What changes whenever a record of these kinds arrives (records are never edited
    nor deleted): their count and the newest arrival time."""
    marks = ", ".join("?" for _ in KINDS)
    sql = f"SELECT COUNT(*), MAX(received_at) FROM records WHERE kind IN ({marks})"  # noqa: S608
    with db.transaction() as tx:
        count, newest = tx.rows(sql, KINDS)[0]
    return int(count), None if newest is None else str(newest)


def _group(refs: list[RecordRef]) -> dict[str, Machine]:
    names = _Names(refs)
    machines: dict[str, Machine] = {}
    for ref in sorted(refs, key=lambda r: (r.created_at, r.bench_id, r.seq)):
        ident = names.machine_of(ref)
        if ident is None:
            continue
        machine = machines.setdefault(ident, Machine(ident))
        _add(machine, ref)
    return machines
