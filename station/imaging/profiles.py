"""Load image profiles (profiles/images/<name>.yaml) and judge a wipe report's zeros."""

from __future__ import annotations

from pathlib import Path

from station.domain.image_profile import ImageProfile
from station.domain.results import Result
from station.domain.wipe_report import WipeReport
from station.errors import UsageError
from station.profile_store import load_profile, profile_files


def image_profile_files() -> dict[str, Path]:
    return profile_files("images")


def load_image_profile(name_or_path: str) -> tuple[ImageProfile, Path]:
    """The profile and the folder its relative `location` is resolved against."""
    profile, path = load_profile("images", name_or_path, ImageProfile)
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
