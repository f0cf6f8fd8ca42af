"""The bench's Ed25519 key pair (records.md, "Signing and the chain").

Created on first start in a private folder of the data partition (folder 0700, private key
0600, PEM, unencrypted: the bench must sign unattended). The public key is what a
supervisor enrols at the inventory; its keyid (sha256 of the raw key) names it in every
envelope. Unless configured, the bench id is derived from the keyid so two benches never
share one by accident.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from station.errors import ConfigError, JournalError, StationError
from station.journal.envelope import key_id
from station.paths import data_dir

KEY_DIR_NAME = "keys"
PRIVATE_KEY_FILE = "bench-ed25519.pem"
PUBLIC_KEY_FILE = "bench-ed25519.pub.pem"
BENCH_ID_ENV = "STATION_BENCH_ID"


@dataclass(frozen=True)
class BenchKey:
    private_key: Ed25519PrivateKey
    bench_id: str
    path: Path | None = None

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def keyid(self) -> str:
        return key_id(self.public_key)

    def public_pem(self) -> str:
        return public_key_pem(self.public_key)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def default_bench_id(public_key: Ed25519PublicKey) -> str:
    return "bench-" + key_id(public_key)[:12]


def generate_key(bench_id: str | None = None) -> BenchKey:
    """A key that lives only in memory (tests, demos); never for a real bench."""
    private_key = Ed25519PrivateKey.generate()
    return BenchKey(private_key, bench_id or default_bench_id(private_key.public_key()))


def load_or_create_bench_key(
    directory: Path | None = None, bench_id: str | None = None
) -> BenchKey:
    """The bench key under `directory` (default: data_dir()/keys), created on first use.

    `bench_id` (or STATION_BENCH_ID) overrides the id derived from the public key.
    """
    folder = directory if directory is not None else data_dir() / KEY_DIR_NAME
    private_path = folder / PRIVATE_KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _restrict(folder, 0o700)
        if not private_path.exists():
            _create(folder, private_path)
        private_key = _load_private(private_path)
        public_path = folder / PUBLIC_KEY_FILE
        if not public_path.exists():  # what `station verify` uses when no --key is given
            public_path.write_text(public_key_pem(private_key.public_key()))
    except OSError as exc:
        raise JournalError(
            f"cannot read or create the bench key in {folder}: {exc}",
            french=f"la clé du banc ({folder}) est illisible : la clé Station a-t-elle été "
            "retirée ? Remettez-la et recommencez, rien n'est perdu "
            f"(détail : {exc.strerror or exc}).",
        ) from exc
    chosen = bench_id or os.environ.get(BENCH_ID_ENV) or default_bench_id(private_key.public_key())
    return BenchKey(private_key, chosen, private_path)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A PEM public key file (what `station journal key` prints), for `station verify`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read public key {path}: {exc.strerror}") from exc
    return parse_public_key(data, str(path))


def parse_public_key(
    data: bytes, where: str, error: type[StationError] = ConfigError
) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM bytes; `error` (naming `where`) when it is not one."""
    try:
        key = load_pem_public_key(data)
    except ValueError as exc:
        raise error(f"{where} is not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise error(f"{where} is not an Ed25519 public key")
    return key


def _create(folder: Path, private_path: Path) -> None:
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    # Written under a temporary name then linked into place: two processes starting at
    # once end up sharing one key, and a crash never leaves a truncated key file.
    temporary = folder / f".{PRIVATE_KEY_FILE}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, private_path)
    except FileExistsError:
        pass
    except OSError as exc:
        # FAT (the stick's data partition) has no hard links: create the file
        # exclusively instead, which still lets only one of two racing processes win.
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
        _create_exclusive(private_path, pem)
    finally:
        temporary.unlink()
    _fsync_dir(folder)


def _create_exclusive(path: Path, pem: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_private(path: Path) -> Ed25519PrivateKey:
    _restrict(path, 0o600)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise JournalError(f"the bench key {path} is damaged: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise JournalError(f"the bench key {path} is not an Ed25519 key")
    return key


def _restrict(path: Path, mode: int) -> None:
    """Tighten permissions that are too open (a copied stick, a careless umask)."""
    if stat.S_IMODE(path.stat().st_mode) & ~mode:
        path.chmod(mode)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
