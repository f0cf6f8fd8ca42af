"""A wipe leaves signed records in a real journal (SQLite file, real bench key)."""

from __future__ import annotations

import threading
from pathlib import Path

from station.domain.record import parse_body
from station.domain.results import Result
from station.jobs.profiles import load_wipe_profile
from station.jobs.wipe import WipeRequest, run_wipe
from station.journal.chain import verify_chain
from station.journal.envelope import key_id
from station.wiring import build_services
from tests.wipe_helpers import MIB, fill_random


def disk(tmp_path: Path, size: int = 96 * MIB) -> Path:
    path = tmp_path / "disk.img"
    with path.open("wb") as handle:
        handle.truncate(size)
    fill_random(path, size)
    return path


def test_a_wipe_records_disk_passes_and_verification(tmp_path: Path) -> None:
    services = build_services(tmp_path / "data")
    target = disk(tmp_path)
    request = WipeRequest(
        str(target), load_wipe_profile("random-clear"), journal=services.journal, operator="op-7"
    )
    report = run_wipe(request)
    assert report.result is Result.CLEARED
    envelopes = services.journal.export_chain()
    assert [
        s.record_id for s in map(services.journal.get, report.record_ids) if s
    ] == report.record_ids
    public = services.journal.key.private_key.public_key()
    chain = verify_chain(envelopes, {key_id(public): public})
    assert chain.count == 3
    stored = [services.journal.get(rid) for rid in report.record_ids]
    bodies = [parse_body(s.body(), sealed=True) for s in stored if s is not None]
    assert len(bodies) == len(report.record_ids)
    assert [b.kind for b in bodies] == ["disk_seen", "overwrite_pass", "verification"]
    seen, written, checked = bodies
    assert seen.operator == "op-7" and seen.disk.size_bytes == 96 * MIB  # type: ignore[union-attr]
    assert written.key_hex == report.passes[0].random_key_hex  # type: ignore[union-attr]
    assert written.completed and len(written.throughput_mbps) == 100  # type: ignore[union-attr]
    assert written.tool.name == "station" and written.tool.version == report.tool_version  # type: ignore[union-attr]
    assert checked.seed_hex == report.verification.seed_hex  # type: ignore[union-attr]
    assert checked.result is Result.CLEARED and checked.coverage_percent >= 10  # type: ignore[union-attr]
    assert services.journal.pending_count() == 3


def test_a_cancelled_wipe_records_an_unfinished_pass_and_no_verification(tmp_path: Path) -> None:
    services = build_services(tmp_path / "data")
    target = disk(tmp_path)
    cancel = threading.Event()
    cancel.set()
    report = run_wipe(
        WipeRequest(str(target), load_wipe_profile("nist-clear"), journal=services.journal),
        cancel=cancel,
    )
    assert report.result is Result.FAILED
    kinds = [services.journal.get(rid).kind for rid in report.record_ids]  # type: ignore[union-attr]
    assert kinds == ["disk_seen", "overwrite_pass"]
    written = parse_body(services.journal.get(report.record_ids[1]).body(), sealed=True)  # type: ignore[union-attr]
    assert written.completed is False  # type: ignore[union-attr]
