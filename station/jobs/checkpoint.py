"""Durable resume points for long passes: a crash, kill -9 or power cut mid-pass resumes
from the last checkpoint instead of starting over.

Order matters: the target is flushed *before* the checkpoint that claims its bytes is
written, and the checkpoint is replaced atomically (write, fsync, rename, fsync dir), so
a checkpoint never claims more than the media holds.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from station.domain.wipe_report import WipeReport
from station.errors import CheckpointError


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fingerprint: str
    profile_digest: str
    pass_index: int  # 1-based pass in progress; len(passes) + 1 once verifying
    offset: int  # bytes of that pass durably written
    report: WipeReport


class CheckpointStore:
    """One JSON file per target fingerprint in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, fingerprint: str) -> Path:
        return self.folder / (hashlib.sha256(fingerprint.encode()).hexdigest()[:32] + ".json")

    def load(self, fingerprint: str) -> Checkpoint | None:
        path = self._path(fingerprint)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"cannot read checkpoint {path}: {exc.strerror}") from exc
        try:
            checkpoint = Checkpoint.model_validate_json(raw)
        except ValidationError as exc:
            raise CheckpointError(
                f"checkpoint {path} is damaged ({exc.error_count()} problems); "
                "remove it or run with --fresh to start the wipe over"
            ) from exc
        if checkpoint.fingerprint != fingerprint:
            return None
        return checkpoint

    def save(self, checkpoint: Checkpoint) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(checkpoint.fingerprint)
        tmp = path.with_suffix(".tmp")
        data = checkpoint.model_dump_json().encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
        dir_fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def clear(self, fingerprint: str) -> None:
        self._path(fingerprint).unlink(missing_ok=True)


def profile_digest(profile_dump: dict[str, Any]) -> str:
    """A resume only continues the same profile: its canonical JSON digest is compared."""
    return hashlib.sha256(json.dumps(profile_dump, sort_keys=True).encode()).hexdigest()
