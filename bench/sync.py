#!/usr/bin/env python3
"""Sync and inventory ingest: a bench's queued records drained to a local server, and the
server's ingest rate with full verification, on SQLite and (when installed) PostgreSQL.

`make bench` runs `bench/sync.py --write-doc docs/performance.md`. The server is the real
`station-inventory serve` in its own process, pinned to one CPU core (so "records/s" is a
one-core figure), on 127.0.0.1. Measures:

- drain: a real journal (SQLite, key on disk) with N queued records (10,000 by default),
  drained by the Pusher exactly as `station sync` does (batches of 200), wall time;
- ingest: N envelopes signed beforehand, POSTed in batches of 500 to a fresh bench; wall
  rate, and the server's CPU time per record from /proc (user + system);
- one record per POST (500 records), the path of a pusher talking to a server without
  the batch endpoint: each record is its own transaction and disk sync.

"Full verification" is what the server does for every record: envelope shape, approved
key, Ed25519 signature, record_id, canonical payload, schema (parse_body, sealed), chain
continuity (seq and prev), and a durable commit (SQLite WAL synchronous=FULL, PostgreSQL
with fsync on). Results go between the sync markers of the given file; the rest of that
file (e.g. the wipe section) is left untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from station.journal.keys import load_or_create_bench_key  # noqa: E402
from station.journal.samples import sample_body, sample_kinds  # noqa: E402
from station.journal.store import Journal  # noqa: E402
from station.sync.client import InventoryClient  # noqa: E402
from station.sync.pusher import Pusher  # noqa: E402
from tests.server import pg_cluster  # noqa: E402
from tests.server.signer import BenchSigner  # noqa: E402

BEGIN, END = "<!-- sync:begin -->", "<!-- sync:end -->"
TOKEN = "bench-admin-token"
DRAIN_BAR_S = 30.0
INGEST_BAR = 1000.0


class BenchError(Exception):
    pass


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def records(self) -> int:
        return int(requests.get(self.url + "/v1/health", timeout=30).json()["records"])


@contextmanager
def running_server(db_url: str, core: int) -> Iterator[Server]:
    port = pg_cluster.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "station.inventory.cli", "serve", "--db", db_url,
         "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "STATION_INVENTORY_ADMIN_TOKEN": TOKEN},
        preexec_fn=lambda: os.sched_setaffinity(0, {core}),
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.records()
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError("the inventory server did not start") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(30)


def approve(server: Server, signer: BenchSigner, name: str) -> None:
    """Enrol (the signed enrolment a bench sends) and approve with the admin token."""
    answer = requests.post(server.url + "/v1/benches", json=signer.enrolment(name), timeout=30)
    if answer.status_code not in (200, 201):
        raise BenchError(f"enrolment refused: {answer.text}")
    answer = requests.post(
        f"{server.url}/v1/admin/benches/{signer.bench_id}/approve",
        headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30,
    )  # fmt: skip
    if answer.status_code != 200:
        raise BenchError(f"approval refused: {answer.text}")


def measure_drain(server: Server, workdir: Path, count: int) -> dict[str, float]:
    key = load_or_create_bench_key(workdir / "keys")
    kinds = sample_kinds()
    with Journal(workdir / "journal.sqlite3", key) as journal:
        started = time.perf_counter()
        for first in range(0, count, 500):
            size = min(500, count - first)
            journal.append_many(sample_body(kinds[(first + i) % len(kinds)]) for i in range(size))
        append_s = time.perf_counter() - started
        signer = BenchSigner(key.bench_id, key.private_key)
        approve(server, signer, "drain bench")
        client = InventoryClient(server.url)
        started = time.perf_counter()
        summary = Pusher(journal, client).drain_once()
        drain_s = time.perf_counter() - started
        client.close()
        if summary.error or summary.sent != count or journal.pending_count():
            raise BenchError(f"the drain did not complete: {summary}")
    if server.records() != count:
        raise BenchError("the server does not hold exactly the drained records")
    return {"append_s": append_s, "drain_s": drain_s}


def measure_ingest(server: Server, count: int, batch: int) -> dict[str, float]:
    signer = BenchSigner(f"bench-ingest-{batch}")
    approve(server, signer, "ingest bench")
    kinds = sample_kinds()
    envelopes = [signer.next(kinds[i % len(kinds)]) for i in range(count)]
    if batch == 1:
        bodies = [json.dumps(e).encode() for e in envelopes]
        path = "/v1/records"
    else:
        bodies = [
            json.dumps({"envelopes": envelopes[i : i + batch]}).encode()
            for i in range(0, count, batch)
        ]
        path = "/v1/records/batch"
    before = server.records()
    session = requests.Session()
    cpu = server.cpu_seconds()
    started = time.perf_counter()
    for body in bodies:
        answer = session.post(
            server.url + path, data=body, timeout=120, headers={"Content-Type": "application/json"}
        )
        if answer.status_code not in (200, 201):
            raise BenchError(f"ingest refused: {answer.status_code} {answer.text[:300]}")
    wall = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    if server.records() - before != count:
        raise BenchError("the server did not store every record")
    return {"rate": count / wall, "cpu_ms": 1000 * cpu / count, "wall_s": wall}


def run(count: int, with_postgres: bool) -> dict[str, object]:
    core = max(os.sched_getaffinity(0))
    results: dict[str, object] = {"count": count, "core": core, "load": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="station-bench-sync-") as tmp:
        workdir = Path(tmp)
        with running_server(f"sqlite:///{workdir / 'inventory.db'}", core) as server:
            results["drain"] = measure_drain(server, workdir / "bench", count)
            results["sqlite"] = measure_ingest(server, count, 500)
            results["sqlite_single"] = measure_ingest(server, min(count, 500), 1)
        why = pg_cluster.reason() if with_postgres else "not asked for (--no-postgres)"
        if why is None:
            cluster = pg_cluster.PgCluster(fsync=True).start()
            try:
                with running_server(cluster.new_database(), core) as server:
                    results["postgres"] = measure_ingest(server, count, 500)
                    results["postgres_single"] = measure_ingest(server, min(count, 500), 1)
            finally:
                cluster.stop()
        else:
            results["postgres_skipped"] = why
    return results


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def section(results: dict[str, object]) -> str:
    count = int(results["count"])  # type: ignore[call-overload]
    drain: dict[str, float] = results["drain"]  # type: ignore[assignment]
    rows = [
        "| measure | result | bar |",
        "|---|---|---|",
        f"| drain of {count:,} queued records, journal to server (SQLite), batches of 200 | "
        f"{drain['drain_s']:.1f} s ({count / drain['drain_s']:,.0f} records/s) | "
        f"under {DRAIN_BAR_S:.0f} s: {'met' if drain['drain_s'] < DRAIN_BAR_S else 'NOT met'} |",
    ]
    for key, label in (("sqlite", "SQLite"), ("postgres", "PostgreSQL")):
        if key in results:
            got: dict[str, float] = results[key]  # type: ignore[assignment]
            bar = "NOT met" if got["rate"] < INGEST_BAR else "met"
            rows.append(
                f"| ingest with full verification, {label}, batches of 500 | "
                f"{got['rate']:,.0f} records/s; server CPU {got['cpu_ms']:.2f} ms/record "
                f"(= {1000 / got['cpu_ms']:,.0f} records per CPU-second) | "
                + (
                    f"at least {INGEST_BAR:,.0f}/s on one core: {bar} |"
                    if key == "sqlite"
                    else "(no bar) |"
                )
            )
            single: dict[str, float] = results[f"{key}_single"]  # type: ignore[assignment]
            rows.append(
                f"| one record per POST, {label} | {single['rate']:,.0f} records/s; "
                f"server CPU {single['cpu_ms']:.2f} ms/record | (reference) |"
            )
    if "postgres_skipped" in results:
        rows.append(f"| PostgreSQL | not measured: {results['postgres_skipped']} | |")
    rows.append(
        f"| journal append (append_many of 500, signed, synchronous=FULL) | "
        f"{count / drain['append_s']:,.0f} records/s | (reference) |"
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        BEGIN,
        "## Sync and inventory ingest (bench/sync.py)",
        "",
        f"Measured {when} on {_cpu_model()}, {os.cpu_count()} cores shared with other work, "
        f"Python {platform.python_version()}, load average {results['load']:.1f} at the "
        "start; the server (`station-inventory serve`, one "
        f"process) pinned to CPU {results['core']}, the bench in another process, over "
        "loopback.",
        "",
        *rows,
        "",
        "Full verification is every check the server makes before storing: envelope shape, "
        "approved key, Ed25519 signature, record_id, canonical payload, schema, chain "
        "continuity (seq, prev), and a durable commit (SQLite WAL with synchronous=FULL; "
        "PostgreSQL with fsync on). A batch is one transaction, which is why batches are "
        "far faster than one record per POST: the per-record cost is then the "
        "verification itself (RFC 8785 canonical JSON in pure Python and the signature "
        "check dominate), not the disk sync.",
        "",
        "Rerun: `make bench`, or `.venv/bin/python bench/sync.py --write-doc "
        "docs/performance.md` (`--records N`, `--no-postgres`).",
        END,
    ])  # fmt: skip


def replace_section(document: str, text: str) -> str:
    """`document` with the sync section replaced (or appended); nothing else changes."""
    begin, end = document.find(BEGIN), document.find(END)
    if begin == -1 and end == -1:
        if not document.strip():
            return "# Performance\n\n" + text + "\n"
        return document.rstrip("\n") + "\n\n" + text + "\n"
    if begin == -1 or end == -1 or end < begin or document.count(BEGIN) != 1:
        raise BenchError(f"the {BEGIN} / {END} markers are damaged; fix them by hand")
    return document[:begin] + text + document[end + len(END) :]


def write_doc(path: Path, text: str) -> None:
    document = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = replace_section(document, text)
    tmp = path.with_name(path.name + ".sync.tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--write-doc", type=Path, metavar="FILE")
    args = parser.parse_args(argv)
    try:
        results = run(args.records, not args.no_postgres)
    except BenchError as exc:
        print(f"bench/sync.py: {exc}", file=sys.stderr)
        return 1
    text = section(results)
    print(text)
    if args.write_doc:
        write_doc(args.write_doc, text)
        print(f"wrote the sync section of {args.write_doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
