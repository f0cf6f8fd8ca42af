"""Format 1 streaming on regular files: zstd frames + seek table, holes that are never
decoded, merged zeroing, and the batch read-back that hashes once and compares the rest."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import zstandard

from station.devices.blockio import BlockTarget
from station.errors import ImageError
from station.imaging import bmap, seek_table, stream_writer
from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE, CreatedImage, create_raw_image
from station.imaging.raw_deploy import (
    frame_pieces,
    load_block_map,
    local_reader,
    stream_raw_image,
)
from station.imaging.readback import readback_many
from station.imaging.stream_writer import TargetRun

MIB = 1024 * 1024
SIZE = 40 * MIB  # five 8 MiB frames: data in frames 0, 2 and 4, frames 1 and 3 are holes
DATA_AT = (0, 17 * MIB, SIZE - MIB)


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    path = tmp_path / "master.img"
    with path.open("wb") as handle:
        handle.truncate(SIZE)
        for at in DATA_AT:
            handle.seek(at)
            handle.write(os.urandom(MIB))
    return path


@pytest.fixture
def image(disk: Path, tmp_path: Path) -> CreatedImage:
    return create_raw_image(str(disk), tmp_path / "image")


def filled(path: Path, size: int = SIZE) -> Path:
    path.write_bytes(b"\xff" * size)
    return path


def test_image_is_one_frame_per_8_mib_with_a_seek_table(image: CreatedImage) -> None:
    frames = seek_table.read(image.folder / IMAGE_FILE)
    assert frames is not None
    assert [(f.offset, f.size) for f in frames] == [(n * 8 * MIB, 8 * MIB) for n in range(5)]
    spans = load_block_map(image.folder).spans()
    with (image.folder / IMAGE_FILE).open("rb") as packed:
        holes = [fill is None for _, _, fill in frame_pieces(local_reader(packed), frames, spans)]
    assert holes == [False, True, False, True, False]


def test_consecutive_hole_frames_are_one_piece(tmp_path: Path) -> None:
    path = tmp_path / "ends-only.img"
    with path.open("wb") as handle:
        handle.truncate(48 * MIB)
        handle.write(os.urandom(MIB))  # the last MiB is mapped anyway (backup GPT)
    made = create_raw_image(str(path), tmp_path / "image")
    frames = seek_table.read(made.folder / IMAGE_FILE)
    assert frames is not None and len(frames) == 6
    spans = load_block_map(made.folder).spans()
    with (made.folder / IMAGE_FILE).open("rb") as packed:
        found = frame_pieces(local_reader(packed), frames, spans)
        pieces = [(at, size, fill is None) for at, size, fill in found]
    assert pieces == [(0, 8 * MIB, False), (8 * MIB, 32 * MIB, True), (40 * MIB, 8 * MIB, False)]


def test_zstd_reads_the_framed_image_as_one_stream(image: CreatedImage, disk: Path) -> None:
    """The seek table is a skippable frame: `zstd -dc` (what bmaptool runs) ignores it."""
    if shutil.which("zstd") is None:
        pytest.skip("zstd is not installed (Debian package zstd)")
    done = subprocess.run(
        ["zstd", "-dc", str(image.folder / IMAGE_FILE)], capture_output=True, check=True
    )
    assert done.stdout == disk.read_bytes()


def test_file_without_a_table_has_none_and_a_damaged_table_is_refused(
    image: CreatedImage, tmp_path: Path
) -> None:
    plain = tmp_path / "plain.zst"
    plain.write_bytes(zstandard.ZstdCompressor().compress(b"x" * 1000))
    assert seek_table.read(plain) is None
    packed = image.folder / IMAGE_FILE
    data = packed.read_bytes()
    packed.write_bytes(data[:100] + data[101:])  # one byte gone before the table
    with pytest.raises(ImageError, match="seek table"):
        seek_table.read(packed)


def deploy_to_file(image: CreatedImage, target: Path) -> tuple[int, TargetRun]:
    with BlockTarget.open(str(target), write=True) as opened:
        run = TargetRun(opened, skip_zeros=False)
        decoded = stream_raw_image(image.folder, load_block_map(image.folder), [run])
    return decoded, run


def test_holes_are_not_decoded_and_are_zeroed_in_one_call_each(
    image: CreatedImage, disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int]] = []
    real = stream_writer.zero_range  # type: ignore[attr-defined]

    def spy(target: BlockTarget, offset: int, length: int) -> None:
        calls.append((offset, length))
        real(target, offset, length)

    monkeypatch.setattr(stream_writer, "zero_range", spy)
    target = filled(tmp_path / "target.img")
    decoded, run = deploy_to_file(image, target)
    assert run.error is None
    assert decoded == 3 * 8 * MIB  # frames 1 and 3 were skipped, not decompressed
    assert target.read_bytes() == disk.read_bytes()
    assert run.unmapped_bytes_zeroed == SIZE - image.mapped_bytes
    # One call per unmapped run of the disk, not one per 8 MiB piece.
    assert calls == [(MIB, 16 * MIB), (18 * MIB, SIZE - 19 * MIB)]


def test_image_without_its_seek_table_still_deploys_as_one_stream(
    image: CreatedImage, disk: Path, tmp_path: Path
) -> None:
    packed = image.folder / IMAGE_FILE
    frames = seek_table.read(packed)
    assert frames is not None
    with packed.open("r+b") as handle:
        handle.truncate(sum(f.packed_size for f in frames))
    assert seek_table.read(packed) is None
    target = filled(tmp_path / "target.img")
    decoded, run = deploy_to_file(image, target)
    assert run.error is None and decoded == SIZE
    assert target.read_bytes() == disk.read_bytes()


def test_corrupt_frame_with_data_stops_the_deploy(image: CreatedImage, tmp_path: Path) -> None:
    packed = image.folder / IMAGE_FILE
    frames = seek_table.read(packed)
    assert frames is not None
    data = bytearray(packed.read_bytes())
    middle = frames[2].packed_offset + frames[2].packed_size // 2
    data[middle : middle + 64] = os.urandom(64)
    packed.write_bytes(bytes(data))
    with pytest.raises(ImageError, match=r"corrupt|does not match its block map"):
        deploy_to_file(image, filled(tmp_path / "target.img"))


def test_zero_grains_are_found_once_for_every_target_that_skips_them() -> None:
    data = bytearray(8 * MIB)
    data[0:MIB] = os.urandom(MIB)
    data[3 * MIB + 5] = 1
    chunk = stream_writer._Chunk(0, memoryview(bytes(data)), 0, [(0, 6 * MIB + 4096)], [], 1)
    stream_writer._zero_grains(chunk)
    assert chunk.zero_grains == {MIB, 2 * MIB, 4 * MIB, 5 * MIB, 6 * MIB}


def test_batch_readback_hashes_once_and_still_checks_each_target(
    image: CreatedImage, disk: Path, tmp_path: Path
) -> None:
    spans = bmap.parse(image.folder / BMAP_FILE).spans()
    paths = [tmp_path / f"t{n}.img" for n in range(4)]
    for path in paths:
        shutil.copy(disk, path)
    start, end, _ = spans[1]
    for bad in (paths[0], paths[2]):  # the reference itself, and another one
        with bad.open("r+b") as handle:
            handle.seek((start + end) // 2)
            handle.write(b"not what was written")
    targets = [BlockTarget.open(str(p), write=False) for p in paths]
    try:
        results = readback_many(targets, spans)
    finally:
        for target in targets:
            target.close()
    assert [r.mismatches for r in results] == [[(start, end)], [], [(start, end)], []]
    assert all(r.error is None for r in results)
