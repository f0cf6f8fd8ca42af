"""A real bench journal (SQLite file, key on disk) filled with sample records."""

from __future__ import annotations

from pathlib import Path

from station.journal.keys import BenchKey, load_or_create_bench_key
from station.journal.samples import sample_body, sample_kinds
from station.journal.signed_requests import signed_enrolment
from station.journal.store import Journal


class BenchFiles:
    def __init__(self, root: Path) -> None:
        self.key_dir = root / "keys"
        self.journal_path = root / "journal.sqlite3"
        self.key: BenchKey = load_or_create_bench_key(self.key_dir)

    def open(self) -> Journal:
        return Journal(self.journal_path, self.key)

    def fill(self, count: int) -> None:
        kinds = sample_kinds()
        with self.open() as journal:
            for start in range(0, count, 500):
                size = min(500, count - start)
                journal.append_many(
                    sample_body(kinds[(start + i) % len(kinds)]) for i in range(size)
                )

    def enrolment(self) -> dict[str, object]:
        return signed_enrolment(self.key.private_key, self.key.bench_id, "journal bench")

    def cli_args(self) -> list[str]:
        return ["--journal", str(self.journal_path), "--key-dir", str(self.key_dir)]
