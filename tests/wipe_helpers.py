"""Helpers shared by the wipe tests on files (unit) and on loop devices (block)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from station.devices.safety import TargetInspection, inspect_target
from station.domain.disk import Bus, MediaKind
from station.domain.profiles import WipeProfile
from station.domain.wipe_report import WipeReport
from station.yamlfile import load_model

MIB = 1024 * 1024


def fill_random(path: str | Path, size: int) -> str:
    """Fill with random bytes (through the page cache, synced); returns their sha256."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY)
    try:
        for offset in range(0, size, 4 * MIB):
            block = os.urandom(min(4 * MIB, size - offset))
            digest.update(block)
            os.pwrite(fd, block, offset)
        os.fsync(fd)
    finally:
        os.close(fd)
    return digest.hexdigest()


def read_all(path: str | Path) -> bytes:
    """Read a file or loop backing file from storage (dropping its cached pages first)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        size = os.fstat(fd).st_size
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)


def expected_random(key_hex: str, size: int) -> bytes:
    """The documented random stream, computed independently of Station's code."""
    return (
        Cipher(algorithms.AES(bytes.fromhex(key_hex)), modes.CTR(bytes(16)))
        .encryptor()
        .update(bytes(size))
    )


def expected_bytes(report: WipeReport, size: int) -> bytes:
    last = report.passes[-1]
    if last.random_key_hex:
        return expected_random(last.random_key_hex, size)
    assert last.pattern_hex is not None
    period = bytes.fromhex(last.pattern_hex)
    return period * (size // len(period))


def custom_profile(tmp_path: Path, body: str, name: str = "custom") -> WipeProfile:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"schema_version: 1\nname: {name}\ntitle: {{fr: Essai, en: Test}}\n"
        f"description: {{fr: Essai, en: Test}}\n{body}"
    )
    return load_model(path, WipeProfile)


def random_disk(directory: Path, size: int) -> Path:
    """A file of random bytes standing for a disk full of old user data."""
    path = directory / "disk.img"
    with path.open("wb") as handle:
        handle.truncate(size)
    fill_random(path, size)
    return path


def inspect_as(bus: Bus, kind: MediaKind) -> Callable[[str], TargetInspection]:
    """inspect_target on a file, seen as a disk on `bus` (its drive answers are replayed)."""

    def inspect(path: str) -> TargetInspection:
        seen = inspect_target(path)
        identity = seen.identity.model_copy(update={"bus": bus, "media_kind": kind})
        return seen.model_copy(update={"identity": identity})

    return inspect
