"""Load image profiles (profiles/images/<name>.yaml) and judge a wipe report's zeros."""

from __future__ import annotations

from pathlib import Path

from station.domain.image_profile import ImageProfile
from station.domain.results import Result
from station.domain.wipe_report import WipeReport
from station.errors import ProfileError, UsageError
from station.paths import profiles_dirs
from station.yamlfile import load_model


def image_profile_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(profiles_dirs()):
        for path in sorted((folder / "images").glob("*.yaml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def load_image_profile(name_or_path: str) -> tuple[ImageProfile, Path]:
    """The profile and the folder its relative `location` is resolved against."""
    path = Path(name_or_path)
    by_name = not (path.suffix in {".yaml", ".yml"} or "/" in name_or_path)
    if by_name:
        known = image_profile_files()
        if name_or_path not in known:
            names = ", ".join(known) or "none found"
            raise ProfileError(name_or_path, [f"no such image profile (known: {names})"])
        path = known[name_or_path]
    profile = load_model(path, ImageProfile)
    if by_name and profile.name != path.stem:
        raise ProfileError(
            str(path),
            [f"field 'name': expected '{path.stem}' (the file name), got '{profile.name}'"],
        )
    return profile, path.resolve().parent


def zero_basis(report: WipeReport, target_size: int, serial: str | None) -> str:
    """Why the target's zeros can be trusted, or UsageError saying why they cannot."""
    verification = report.verification
    if report.result is Result.FAILED or verification is None or not verification.completed:
        raise UsageError("the wipe report does not show a completed, successful wipe")
    if verification.expected != "zeros" or verification.mismatches:
        raise UsageError(f"the wipe did not verify zeros (expected {verification.expected!r})")
    if report.target.size_bytes != target_size or (serial and report.target.serial != serial):
        raise UsageError("the wipe report is about another disk (size or serial differ)")
    return (
        f"wipe of {report.started_at.isoformat()} ({report.profile}) verified zeros, "
        f"{verification.mode} read-back"
    )
