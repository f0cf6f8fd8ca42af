"""Find an image profile's files and check them before anything is written.

Every refusal here happens before a target is opened for writing: a location that
cannot be used (an HTTP image is first fetched into the cache, see fetch.py), a file
missing from the folder, a sha256 that does not match the profile's manifest, a format
this version does not know.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from station.domain.image_profile import ImageFormat, ImageProfile
from station.errors import ImageError
from station.imaging import frame_list
from station.imaging.fetch import fetch_image
from station.imaging.frame_list import FRAMES_FILE, CheckedFrame
from station.imaging.raw_create import BMAP_FILE, CHUNK, IMAGE_FILE, file_sha256
from station.paths import data_dir

KNOWN_FORMATS = {ImageFormat.STATION_RAW, ImageFormat.CLONEZILLA}


def resolve_location(
    profile: ImageProfile, profile_dir: Path | None, cache_root: Path | None = None
) -> Path:
    """The image folder on disk; an HTTP location is downloaded into the cache first."""
    where = profile.location
    if where.startswith(("http://", "https://")):
        root = cache_root if cache_root is not None else data_dir() / "image-cache"
        return fetch_image(
            where, profile.manifest, root / profile.name / manifest_digest(profile.manifest)
        )
    folder = Path(where)
    if not folder.is_absolute() and profile_dir is not None:
        folder = profile_dir / folder
    if not folder.is_dir():
        raise ImageError(
            f"image {profile.name}: folder {folder} does not exist",
            french=f"image {profile.name} : le dossier {folder} n'existe pas",
        )
    return folder


def check_manifest(folder: Path, manifest: dict[str, str]) -> None:
    """Every file listed is present and has the listed sha256; ImageError otherwise."""
    for name, expected in sorted(manifest.items()):
        path = folder / name
        if ".." in Path(name).parts or not path.is_file():
            raise ImageError(
                f"image file {name} is missing from {folder}",
                french=f"le fichier d'image {name} manque dans {folder}",
            )
        found = file_sha256(path)
        if found != expected:
            raise ImageError(
                f"checksum mismatch for {name}: manifest says {expected[:12]}…, "
                f"file has {found[:12]}… (corrupt or replaced image)",
                french=f"empreinte fausse pour {name} : le manifeste dit {expected[:12]}…, "
                f"le fichier a {found[:12]}… (image abîmée ou remplacée ; rien n'a été écrit)",
            )


def check_listed(folder: Path, manifest: dict[str, str], used: list[str]) -> None:
    """A file the restore reads but the manifest does not list was never checked: refuse."""
    unlisted = sorted(set(used) - set(manifest))
    if unlisted:
        raise ImageError(
            f"{folder}: {', '.join(unlisted)} not in the profile's manifest (unchecked files)"
        )


def manifest_digest(manifest: dict[str, str]) -> str:
    """One sha256 naming the whole image (its manifest), for records."""
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(manifest.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def check_format(profile: ImageProfile, folder: Path) -> None:
    if profile.format not in KNOWN_FORMATS:
        raise ImageError(f"image format {profile.format!r} is not supported")
    if profile.format is ImageFormat.STATION_RAW:
        with (folder / "disk.img.zst").open("rb") as handle:
            magic = handle.read(4)
        if magic != b"\x28\xb5\x2f\xfd":
            raise ImageError(f"{folder}/disk.img.zst is not a zstd stream (unknown format)")


def streams_over_http(profile: ImageProfile) -> bool:
    """A Format 1 image on an HTTP server whose manifest lists its frame list: written
    while it downloads, frame by frame, instead of being cached whole first."""
    return (
        profile.format is ImageFormat.STATION_RAW
        and profile.location.startswith(("http://", "https://"))
        and FRAMES_FILE in profile.manifest
        and IMAGE_FILE in profile.manifest
    )


def image_url(profile: ImageProfile) -> str:
    return profile.location.rstrip("/") + "/" + IMAGE_FILE


def stream_files(
    profile: ImageProfile, profile_dir: Path | None, cache_root: Path | None = None
) -> tuple[Path, list[CheckedFrame]]:
    """The block map and frame list of a streamed image (downloaded and checked against
    the manifest: small files, kept in the cache), and the frames, checked to cover the
    block map's image. Everything here refuses before a target is opened."""
    wanted = {name: profile.manifest[name] for name in (BMAP_FILE, FRAMES_FILE)}
    if profile.location.startswith(("http://", "https://")):
        root = cache_root if cache_root is not None else data_dir() / "image-cache"
        folder = fetch_image(
            profile.location, wanted, root / profile.name / manifest_digest(profile.manifest)
        )
    else:
        folder = resolve_location(profile, profile_dir, cache_root)
    check_manifest(folder, wanted)
    checked = frame_list.load(folder / FRAMES_FILE)
    if any(c.frame.size > CHUNK for c in checked):
        raise ImageError(f"{profile.name}: {FRAMES_FILE} lists frames larger than 8 MiB")
    return folder, checked
