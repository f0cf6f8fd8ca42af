"""`station image create DEVICE OUT`: make a Format 1 image (zstd + bmap) from a master disk."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from station.cli.lang import tr
from station.cli.progress_line import human_bytes
from station.devices.runner import SubprocessRunner
from station.domain.image_profile import ImageProfile, WindowsMaster, edition_name
from station.errors import UsageError
from station.imaging.clonezilla import read_clonezilla
from station.imaging.raw_create import create_raw_image, file_sha256
from station.imaging.windows_master import read_clonezilla_windows, read_disk_windows


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "image",
        help="make a Station image (raw + zstd + block map) from a master disk",
        description="Read DEVICE (a master disk or an image file) once and write OUT/disk.img.zst "
        "and OUT/disk.bmap (bmaptool format, sha256 per range). Prints the manifest lines to "
        "paste into an image profile.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="make an image from DEVICE into folder OUT")
    create.add_argument("device", help="the master disk, e.g. /dev/sdb, or a raw image file")
    create.add_argument("out", help="folder to write the image into (created if needed)")
    create.add_argument("--level", type=int, default=3, help="zstd level (default 3)")
    create.set_defaults(func=handle_create)
    describe = actions.add_parser(
        "describe",
        help="print the profile lines of a Clonezilla image folder (manifest, Windows facts)",
    )
    describe.add_argument("folder", help="a Clonezilla image folder (ocs-sr savedisk)")
    describe.set_defaults(func=handle_describe)
    schema_cmd = actions.add_parser("schema", help="print the JSON schema of image profiles")
    schema_cmd.set_defaults(func=handle_schema)


def schema() -> dict[str, Any]:
    return ImageProfile.model_json_schema()


def handle_schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return 0


def handle_create(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(
            f"{out} is not empty: choose a new folder",
            french=f"{out} n'est pas vide : choisissez un nouveau dossier",
        )
    made = create_raw_image(args.device, out, level=args.level)
    size, mapped = human_bytes(made.image_size), human_bytes(made.mapped_bytes)
    print(
        tr(f"image: {size}, {mapped} mapped", f"image : {size}, dont {mapped} de données"),
        file=sys.stderr,
    )
    print("format: station-raw-zstd\nmanifest:")
    for name, digest in sorted(made.manifest.items()):
        print(f'  {name}: "{digest}"')
    if Path(args.device).is_block_device():
        _, facts, _ = read_disk_windows(SubprocessRunner(), args.device)
        _print_windows(facts)
    return 0


def _print_windows(facts: WindowsMaster | None) -> None:
    """The `windows:` lines of the profile, and what they mean for licence keys."""
    if facts is None:
        print(
            tr(
                "(no Windows registry found: no `windows:` lines)",
                "(aucun registre Windows trouvé : pas de lignes `windows:`)",
            ),
            file=sys.stderr,
        )
        return
    print("windows:")
    for name, value in facts.model_dump(mode="json").items():
        if value is not None:
            print(f'  {name}: "{value}"')
    named = f"Windows : {facts.product_name} ({edition_name(facts.edition_id)}), "
    if facts.generalized:
        state = tr(
            "generalized: a pool key will be applied at first boot",
            "généralisé : une clé du stock sera appliquée au premier démarrage",
        )
    else:
        state = tr(
            "NOT generalized: key-pool deploys will be refused (sysprep /generalize /oobe)",
            "NON généralisé : les déploiements avec une clé du stock seront refusés "
            "(sysprep /generalize /oobe)",
        )
    print(named + state, file=sys.stderr)
    if facts.key_channel is not None:
        version, channel = facts.nt_version or "?", facts.key_channel
        print(
            tr(
                f"Windows {version}: installed with a {channel} key; set the pool's "
                "`channel:` in `licence:` so a key it cannot take is refused",
                f"Windows {version} : installé avec une clé {channel} ; indiquez le "
                "`channel:` du stock dans `licence:` pour qu'une clé inutilisable soit refusée",
            ),
            file=sys.stderr,
        )


def handle_describe(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    image = read_clonezilla(folder)
    print("format: clonezilla\nmanifest:")
    for path in sorted(folder.iterdir()):
        if path.is_file():
            print(f'  {path.name}: "{file_sha256(path)}"')
    _print_windows(read_clonezilla_windows(SubprocessRunner(), image))
    return 0
