"""What each overwrite pass writes, and what verification expects to read back.

Random passes use AES-CTR keyed per pass: the counter block for byte offset `o` is
`o // 16` as a 128-bit big-endian integer, so the stream can be regenerated at any
offset from the recorded key without storing a byte of it.

New passes draw a 128-bit key (AES-128-CTR): the stream only has to be unpredictable to
the drive's firmware, not to protect a secret (the key is published in the record), and
AES-128 fills ~15 % faster than AES-256, which is what bounds a random pass on a fast
disk. The key length selects the cipher, so 256-bit keys recorded by earlier versions
still regenerate their stream.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from station.domain.profiles import PassSpec, Pattern

RANDOM_KEY_BYTES = 16


@dataclass(frozen=True)
class PatternSource:
    """The bytes of one pass. `period` bytes repeat, unless `key` makes it a random stream."""

    pattern: Pattern
    period: bytes = b""
    key: bytes | None = None

    @property
    def is_random(self) -> bool:
        return self.key is not None

    def describe(self) -> str:
        """A short label for records: `zeros`, `fixed:55`, `random:<sha256(key)[:16]>`."""
        if self.key is not None:
            return "random:" + hashlib.sha256(self.key).hexdigest()[:16]
        if self.period == b"\0":
            return "zeros"
        if self.period == b"\xff":
            return "ones"
        return "fixed:" + self.period.hex()

    def fill(self, buf: memoryview, offset: int) -> None:
        """Write into `buf` the bytes this pass puts at `offset` (offset aligned to 512)."""
        if self.key is not None:
            counter = (offset // 16).to_bytes(16, "big")
            encryptor = Cipher(algorithms.AES(self.key), modes.CTR(counter)).encryptor()
            encryptor.update_into(_zeros(len(buf)), buf)
            return
        # Periods divide 512 and offsets are multiples of 512, so the phase is always 0.
        tile = self.period * (len(buf) // len(self.period))
        buf[: len(tile)] = tile


_ZERO_CACHE: dict[int, bytes] = {}


def _zeros(length: int) -> bytes:
    cached = _ZERO_CACHE.get(length)
    if cached is None:
        if len(_ZERO_CACHE) > 8:
            _ZERO_CACHE.clear()
        cached = _ZERO_CACHE[length] = bytes(length)
    return cached


def source_for(
    spec: PassSpec, previous: PatternSource | None, key: bytes | None = None
) -> PatternSource:
    """The source for `spec`; `key` replays a recorded random pass, else a new key is drawn."""
    match spec.pattern:
        case Pattern.ZEROS:
            return PatternSource(spec.pattern, b"\0")
        case Pattern.ONES:
            return PatternSource(spec.pattern, b"\xff")
        case Pattern.FIXED:
            assert spec.hex is not None
            return PatternSource(spec.pattern, bytes.fromhex(spec.hex))
        case Pattern.COMPLEMENT:
            if previous is None or previous.is_random:
                raise ValueError("a complement pass needs a preceding fixed pattern")
            return PatternSource(spec.pattern, bytes(b ^ 0xFF for b in previous.period))
        case Pattern.RANDOM:
            return PatternSource(
                spec.pattern, key=key if key is not None else os.urandom(RANDOM_KEY_BYTES)
            )
    raise ValueError(f"unknown pattern {spec.pattern}")
