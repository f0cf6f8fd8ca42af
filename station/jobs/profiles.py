"""Find and load profiles by name (profiles/<kind>/<name>.yaml) or by file path."""

from __future__ import annotations

from pathlib import Path

from station.domain.profiles import WipeProfile
from station.errors import ProfileError
from station.paths import profiles_dirs
from station.yamlfile import load_model


def profile_files(kind: str) -> dict[str, Path]:
    """Every profile of `kind` by name; a folder earlier in the search path wins."""
    found: dict[str, Path] = {}
    for folder in reversed(profiles_dirs()):
        for path in sorted((folder / kind).glob("*.yaml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def load_wipe_profile(name_or_path: str) -> WipeProfile:
    path = Path(name_or_path)
    by_name = not (path.suffix in {".yaml", ".yml"} or "/" in name_or_path)
    if by_name:
        known = profile_files("wipe")
        if name_or_path not in known:
            names = ", ".join(known) or "none found"
            raise ProfileError(name_or_path, [f"no such wipe profile (known: {names})"])
        path = known[name_or_path]
    profile = load_model(path, WipeProfile)
    if by_name and profile.name != path.stem:
        raise ProfileError(
            str(path),
            [f"field 'name': expected '{path.stem}' (the file name), got '{profile.name}'"],
        )
    return profile
