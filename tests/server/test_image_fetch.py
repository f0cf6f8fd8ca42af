"""Images published over HTTP: downloaded once into the cache, every byte checked against
the manifest on the way; a tampered or missing file is refused and leaves nothing behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from station.errors import ImageError
from station.imaging.fetch import fetch_image
from tests.block.imaging_support import serve_folder

pytestmark = pytest.mark.server


def published(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "mirror"
    folder.mkdir()
    files = {"disk.img.zst": b"z" * 5_000_000, "disk.bmap": b"<bmap/>"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder, {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def test_fetch_downloads_once_and_checks_every_file(tmp_path: Path) -> None:
    folder, manifest = published(tmp_path)
    cache = tmp_path / "cache"
    with serve_folder(folder) as (url, requested):
        got = fetch_image(url, manifest, cache)
        assert sorted(requested) == ["/disk.bmap", "/disk.img.zst"]
        fetch_image(url, manifest, cache)
        assert len(requested) == 2  # the second deploy reads the cache
    for name, digest in manifest.items():
        assert hashlib.sha256((got / name).read_bytes()).hexdigest() == digest


def test_tampered_download_is_refused_and_not_kept(tmp_path: Path) -> None:
    folder, manifest = published(tmp_path)
    (folder / "disk.img.zst").write_bytes(b"y" * 5_000_000)
    cache = tmp_path / "cache"
    with serve_folder(folder) as (url, _), pytest.raises(ImageError, match="checksum mismatch"):
        fetch_image(url, manifest, cache)
    assert not (cache / "disk.img.zst").exists()
    assert not list(cache.glob("*.part"))


def test_missing_file_on_the_server_is_refused(tmp_path: Path) -> None:
    folder, manifest = published(tmp_path)
    (folder / "disk.bmap").unlink()
    with serve_folder(folder) as (url, _), pytest.raises(ImageError, match="404"):
        fetch_image(url, manifest, tmp_path / "cache")


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    _, manifest = published(tmp_path)
    with pytest.raises(ImageError, match="download failed"):
        fetch_image("http://127.0.0.1:9/", manifest, tmp_path / "cache")
