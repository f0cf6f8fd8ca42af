from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from station.domain.profiles import PassSpec, Pattern
from station.jobs.patterns import source_for


def test_random_stream_regenerates_at_any_offset() -> None:
    source = source_for(PassSpec(pattern=Pattern.RANDOM), None)
    assert source.key is not None
    whole = memoryview(bytearray(1 << 20))
    source.fill(whole, 0)
    tail = memoryview(bytearray(4096))
    source.fill(tail, 512 * 1000)
    assert bytes(tail) == bytes(whole[512 * 1000 : 512 * 1000 + 4096])
    # The documented rule, independently: AES-128-CTR, counter = offset // 16.
    assert len(source.key) == 16
    encryptor = Cipher(
        algorithms.AES(source.key), modes.CTR((32000).to_bytes(16, "big"))
    ).encryptor()
    assert encryptor.update(bytes(4096)) == bytes(tail)


def test_a_recorded_256_bit_key_still_replays_its_stream() -> None:
    # Records written before new passes switched to AES-128 hold 32-byte keys.
    key = bytes(range(32))
    source = source_for(PassSpec(pattern=Pattern.RANDOM), None, key=key)
    buf = memoryview(bytearray(4096))
    source.fill(buf, 512 * 3)
    encryptor = Cipher(algorithms.AES(key), modes.CTR((96).to_bytes(16, "big"))).encryptor()
    assert encryptor.update(bytes(4096)) == bytes(buf)


def test_two_random_passes_get_different_keys() -> None:
    first = source_for(PassSpec(pattern=Pattern.RANDOM), None)
    second = source_for(PassSpec(pattern=Pattern.RANDOM), None)
    assert first.key != second.key


def test_fixed_and_complement() -> None:
    fixed = source_for(PassSpec(pattern=Pattern.FIXED, hex="a50f"), None)
    complement = source_for(PassSpec(pattern=Pattern.COMPLEMENT), fixed)
    buf = memoryview(bytearray(1024))
    complement.fill(buf, 512)
    assert bytes(buf) == bytes([0x5A, 0xF0]) * 512
    assert fixed.describe() == "fixed:a50f"
    assert source_for(PassSpec(pattern=Pattern.ZEROS), None).describe() == "zeros"


def test_complement_of_random_is_rejected() -> None:
    random = source_for(PassSpec(pattern=Pattern.RANDOM), None)
    with pytest.raises(ValueError):
        source_for(PassSpec(pattern=Pattern.COMPLEMENT), random)
