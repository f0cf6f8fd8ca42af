"""Fetch an image published over HTTP (the inventory server, a local mirror) into a cache.

Every file of the profile's manifest is downloaded once into
`<data dir>/image-cache/<profile>/<manifest digest>/`, its sha256 computed on the way;
a file whose digest differs is deleted and refused, so what is cached is always what the
manifest names. A second deploy of the same image reads the cache and downloads nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

import requests

from station.errors import ImageError

TIMEOUT = (5.0, 60.0)
CHUNK = 4 * 1024 * 1024


def _fetch_one(url: str, path: Path, expected: str, session: requests.Session) -> None:
    partial = path.with_name(path.name + ".part")
    digest = hashlib.sha256()
    try:
        with session.get(url, stream=True, timeout=TIMEOUT) as answer:
            if answer.status_code != 200:
                raise ImageError(f"{url}: the server answered {answer.status_code}")
            with partial.open("wb") as out:
                for block in answer.iter_content(CHUNK):
                    digest.update(block)
                    out.write(block)
    except requests.RequestException as exc:
        partial.unlink(missing_ok=True)
        raise ImageError(f"{url}: download failed ({exc})") from exc
    except ImageError:
        partial.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != expected:
        partial.unlink(missing_ok=True)
        raise ImageError(
            f"checksum mismatch for {path.name} downloaded from {url}: manifest says "
            f"{expected[:12]}…, got {digest.hexdigest()[:12]}…"
        )
    partial.replace(path)


def fetch_image(base_url: str, manifest: dict[str, str], cache: Path) -> Path:
    """The local folder holding every manifest file (downloaded when missing)."""
    cache.mkdir(parents=True, exist_ok=True)
    base = base_url.rstrip("/") + "/"
    with requests.Session() as session:
        for name, expected in sorted(manifest.items()):
            if "/" in name or name.startswith("."):
                raise ImageError(f"manifest name {name!r} cannot be fetched (a plain file name)")
            path = cache / name
            if path.is_file():
                continue  # checked again, like any local image, by check_manifest
            _fetch_one(base + quote(name), path, expected, session)
    return cache
