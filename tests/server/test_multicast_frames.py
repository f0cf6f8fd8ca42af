"""A laptop's multicast reader without the network's timing: the stream is a byte pipe
given in advance, the HTTP fallback a real server on 127.0.0.1. A damaged frame in the
stream is fetched again over HTTP on its own (the stream goes on); a stream that ends
early leaves every later frame to HTTP; hole frames are read and dropped, never fetched."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from station.classroom.http_files import FileServer
from station.imaging import frame_list
from station.imaging.multicast import MulticastFrames
from station.imaging.net_source import Transport
from station.imaging.raw_create import create_raw_image
from tests.block.net_support import MIB, make_master

pytestmark = pytest.mark.server


@pytest.fixture
def image(tmp_path: Path) -> tuple[Path, list[frame_list.CheckedFrame], bytes]:
    master = tmp_path / "master.img"
    make_master(master, 64 * MIB)
    made = create_raw_image(str(master), tmp_path / "image")
    checked = frame_list.load(made.folder / frame_list.FRAMES_FILE)
    return made.folder, checked, (made.folder / "disk.img.zst").read_bytes()


def read_all(reader: MulticastFrames, checked: list[frame_list.CheckedFrame]) -> list[bytes]:
    # The frames holding data, as the writer asks for them (frames 3 and 4 are holes).
    return [reader(c.frame) for c in checked if c.frame.offset not in (24 * MIB, 32 * MIB)]


def test_damaged_frame_is_fetched_again_and_the_stream_goes_on(
    image: tuple[Path, list[frame_list.CheckedFrame], bytes],
) -> None:
    folder, checked, packed = image
    bad = checked[1].frame
    damaged = bytearray(packed)
    damaged[bad.packed_offset + 100] ^= 0xFF
    transport = Transport("multicast", "test", frames_total=6)
    with FileServer(folder) as server:
        url = f"http://127.0.0.1:{server.port}/disk.img.zst"
        reader = MulticastFrames(io.BytesIO(bytes(damaged)), url, checked, transport)
        got = read_all(reader, checked)
    expected = [packed[c.frame.packed_offset : c.frame.packed_offset + c.frame.packed_size]
                for c in checked if c.frame.offset not in (24 * MIB, 32 * MIB)]  # fmt: skip
    assert got == expected
    assert transport.fallback_ranges == [(bad.packed_offset, bad.packed_offset + bad.packed_size)]
    assert transport.frames_verified == 6 and reader.alive


def test_stream_ending_early_leaves_the_rest_to_http(
    image: tuple[Path, list[frame_list.CheckedFrame], bytes],
) -> None:
    folder, checked, packed = image
    cut = checked[1].frame.packed_offset + 1000  # inside the second frame
    transport = Transport("multicast", "test", frames_total=6)
    with FileServer(folder) as server:
        url = f"http://127.0.0.1:{server.port}/disk.img.zst"
        reader = MulticastFrames(io.BytesIO(packed[:cut]), url, checked, transport)
        read_all(reader, checked)
    assert reader.ended_at == cut and not reader.alive
    first_http = checked[1].frame.packed_offset
    # Frames 1, 2 then 5, 6, 7 over HTTP: the holes in between are never fetched.
    assert transport.fallback_ranges == [
        (first_http, checked[2].frame.packed_offset + checked[2].frame.packed_size),
        (
            checked[5].frame.packed_offset,
            checked[7].frame.packed_offset + checked[7].frame.packed_size,
        ),
    ]
