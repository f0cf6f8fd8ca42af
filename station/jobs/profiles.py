"""Wipe profiles by name (profiles/wipe/<name>.yaml) or by file path."""

from __future__ import annotations

from station.domain.profiles import WipeProfile
from station.profile_store import load_profile, profile_files

__all__ = ["load_wipe_profile", "profile_files"]


def load_wipe_profile(name_or_path: str) -> WipeProfile:
    return load_profile("wipe", name_or_path, WipeProfile)[0]
