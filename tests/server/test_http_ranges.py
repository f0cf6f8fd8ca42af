"""The classroom file server's byte ranges and the range fetcher, over real HTTP on
127.0.0.1: single ranges, suffix ranges, a range past the end, and a fetch resumed after
the connection was cut mid-answer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from station.classroom.http_files import FileServer
from station.errors import ImageError
from station.imaging import frame_list
from station.imaging.http_range import RangeFetcher
from tests.block.net_support import MIB, CuttingRelay

pytestmark = pytest.mark.server


@pytest.fixture
def served(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(5 * MIB + 17)
    (tmp_path / "blob.bin").write_bytes(data)
    return tmp_path, data


def test_ranges_are_answered_206_with_their_bytes(served: tuple[Path, bytes]) -> None:
    folder, data = served
    with FileServer(folder) as server:
        url = f"http://127.0.0.1:{server.port}/blob.bin"
        part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
        assert part.status_code == 206 and part.content == data[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        tail = requests.get(url, headers={"Range": "bytes=-10"}, timeout=10)
        assert tail.status_code == 206 and tail.content == data[-10:]
        open_end = requests.get(url, headers={"Range": f"bytes={len(data) - 5}-"}, timeout=10)
        assert open_end.content == data[-5:]
        past = requests.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=10)
        assert past.status_code == 416
        whole = requests.get(url, timeout=10)
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["Accept-Ranges"] == "bytes"
        assert requests.get(url.replace("blob", "../etc/passwd"), timeout=10).status_code == 404


def test_fetch_resumes_after_the_connection_is_cut(served: tuple[Path, bytes]) -> None:
    folder, data = served
    with FileServer(folder) as server:
        relay = CuttingRelay(server.port, after=MIB, cuts=3)
        try:
            fetcher = RangeFetcher(relay.url + "blob.bin", sleep=lambda _: None)
            got = fetcher.fetch(10, len(data) - 3)
        finally:
            relay.close()
    assert got == data[10:-3]
    assert relay.cuts_done == 3 and fetcher.stats.resumed >= 3


def test_a_range_past_the_end_is_a_clear_error(served: tuple[Path, bytes]) -> None:
    folder, data = served
    with FileServer(folder) as server:
        fetcher = RangeFetcher(f"http://127.0.0.1:{server.port}/blob.bin")
        with pytest.raises(ImageError, match="416"):
            fetcher.fetch(len(data) + 10, len(data) + 20)


@pytest.mark.parametrize(
    "text",
    [
        "# station-frames 1\n",
        "0 10 0 100 " + "a" * 64 + "\n11 10 100 100 " + "b" * 64 + "\n",
        "0 10 0 100 " + "A" * 64 + "\n",
        "0 10 0 100\n",
    ],
)
def test_a_bad_frame_list_is_refused(text: str) -> None:
    with pytest.raises(ImageError, match=r"disk\.frames"):
        frame_list.parse(text)
