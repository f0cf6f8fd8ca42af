from __future__ import annotations

import hashlib

import pytest

from station.domain.sampling import MIB, Extent, covered_bytes, merge, sampled_extents

SIZE = 4 * 1024 * MIB  # 4 GiB: the arithmetic only, nothing is read


def test_recipe_covers_at_least_ten_percent_with_edges() -> None:
    extents = sampled_extents(SIZE, 4096, b"seed", subsections=1000, percent=5)
    assert covered_bytes(extents) >= SIZE // 10
    assert extents[0].offset == 0 and extents[0].length >= MIB
    assert extents[-1].end == SIZE and extents[-1].length >= MIB
    assert all(e.offset % 4096 == 0 and e.length % 4096 == 0 for e in extents)


def test_every_subsection_gets_two_disjoint_extents_of_five_percent() -> None:
    extents = sampled_extents(SIZE, 4096, b"seed", subsections=1000, percent=5)
    for index in range(1000):
        start, stop = SIZE * index // 1000, SIZE * (index + 1) // 1000
        inside = sum(
            min(e.end, stop) - max(e.offset, start)
            for e in extents
            if e.offset < stop and e.end > start
        )
        assert inside >= 2 * 0.05 * (stop - start), index


def test_same_seed_same_extents_other_seed_other_extents() -> None:
    first = sampled_extents(SIZE, 4096, b"a", subsections=1000)
    assert first == sampled_extents(SIZE, 4096, b"a", subsections=1000)
    assert first != sampled_extents(SIZE, 4096, b"b", subsections=1000)


def test_documented_derivation_reproduces_an_extent() -> None:
    """The docstring's formula, re-implemented here, lands on the same first extent."""
    size, align, seed = SIZE, 4096, b"audit"
    extents = sampled_extents(size, align, seed, subsections=1000, percent=5)
    sub = size // 1000 // align * align
    half = sub // 2 // align * align
    length = -(-int(sub * 0.05) // align) * align
    slots = (half - length) // align + 1
    digest = hashlib.sha256(seed + (3).to_bytes(8, "big") + b"\0").digest()
    start = (size * 3 // 1000) // align * align
    offset = start + int.from_bytes(digest[:8], "big") % slots * align
    assert any(e.offset <= offset and offset + length <= e.end for e in extents)


def test_too_small_media_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        sampled_extents(8 * MIB, 4096, b"s", subsections=1000)


def test_merge_joins_touching_extents() -> None:
    assert merge([Extent(10, 5), Extent(0, 10), Extent(30, 1)]) == [Extent(0, 15), Extent(30, 1)]
