"""Builds the real adapters from configuration, so front ends receive their services
instead of constructing them (architecture.md: "The app receives its services")."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from station.jobs.checkpoint import CheckpointStore
from station.journal.keys import KEY_DIR_NAME, load_or_create_bench_key
from station.journal.store import JOURNAL_FILE, Journal
from station.paths import data_dir


@dataclass
class Services:
    data_dir: Path

    @cached_property
    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(self.data_dir / "checkpoints")

    @cached_property
    def journal(self) -> Journal:
        """The bench journal; the bench key is created on first use."""
        key = load_or_create_bench_key(self.data_dir / KEY_DIR_NAME)
        return Journal(self.data_dir / JOURNAL_FILE, key)


def build_services(folder: Path | None = None) -> Services:
    return Services(data_dir=folder or data_dir())
