"""Find profiles by kind and name (profiles/<kind>/<name>.yaml) or take a file path.

Outside the layers, like yamlfile.py: wipe profiles (jobs), image profiles (imaging)
and bench profiles all load through here, whatever layer needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from station.errors import ProfileError
from station.paths import profiles_dirs
from station.yamlfile import load_model

M = TypeVar("M", bound=BaseModel)


def profile_files(kind: str) -> dict[str, Path]:
    """Every profile of `kind` by name; a folder earlier in the search path wins."""
    found: dict[str, Path] = {}
    for folder in reversed(profiles_dirs()):
        for path in sorted((folder / kind).glob("*.yaml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def load_profile(kind: str, name_or_path: str, model: type[M]) -> tuple[M, Path]:
    """The profile and its file. A name must be the file's stem and the profile's `name`."""
    path = Path(name_or_path)
    by_name = not (path.suffix in {".yaml", ".yml"} or "/" in name_or_path)
    if by_name:
        known = profile_files(kind)
        if name_or_path not in known:
            names = ", ".join(known) or "none found"
            raise ProfileError(
                name_or_path, [f"no such {kind.removesuffix('s')} profile (known: {names})"]
            )
        path = known[name_or_path]
    profile = load_model(path, model)
    declared = getattr(profile, "name", path.stem)
    if by_name and declared != path.stem:
        raise ProfileError(
            str(path), [f"field 'name': expected '{path.stem}' (the file name), got '{declared}'"]
        )
    return profile, path
