"""Builds the real adapters from configuration, so front ends receive their services
instead of constructing them (architecture.md: "The app receives its services")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station.jobs.checkpoint import CheckpointStore
from station.paths import data_dir


@dataclass(frozen=True)
class Services:
    data_dir: Path
    checkpoints: CheckpointStore


def build_services(folder: Path | None = None) -> Services:
    root = folder or data_dir()
    return Services(data_dir=root, checkpoints=CheckpointStore(root / "checkpoints"))
