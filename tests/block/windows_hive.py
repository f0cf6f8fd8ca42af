"""Registry hives a Windows master carries, made with Debian's hivexsh from hivex's
`minimal` hive (tests/fixtures/registry/SOURCES.md): no Windows needed."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "registry" / "minimal"
GENERALIZED = "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
INSTALLED = "IMAGE_STATE_COMPLETE"


def hive_reason() -> str | None:
    missing = [t for t in ("hivexsh", "hivexget", "ntfscat") if shutil.which(t) is None]
    return f"registry tools missing: {', '.join(missing)} (libhivex-bin)" if missing else None


def digital_pid4(key_type: str, edition: str) -> bytes:
    """A DIGITALPID4 blob (1272 bytes, the layout Windows stores in DigitalProductId4:
    pidgenx.fandom.com/wiki/DigitalProductId4) with its edition and key type filled in."""
    blob = bytearray(1272)
    struct.pack_into("<IHH", blob, 0, 1272, 4, 0)
    for offset, text in ((280, edition), (1016, key_type), (1144, key_type.split(":")[0])):
        encoded = text.encode("utf-16-le")
        blob[offset : offset + len(encoded)] = encoded
    return bytes(blob)


def _version_values(version: str | None) -> list[str]:
    """hivexsh `setval` lines: the DWORDs of Windows 10/11, or the string of Windows 7/8."""
    if version is None:
        return []
    major, minor = version.split(".")
    if int(major) >= 10:
        return [
            "CurrentMajorVersionNumber", f"dword:{int(major)}",
            "CurrentMinorVersionNumber", f"dword:{int(minor)}",
        ]  # fmt: skip
    return ["CurrentVersion", f"string:{version}"]


def software_hive(
    out: Path, *, product: str = "Windows 10 Pro", edition: str = "Professional",
    state: str = GENERALIZED, key_type: str | None = None, version: str | None = None,
) -> Path:  # fmt: skip
    """A SOFTWARE hive with ProductName, EditionID and Setup\\State ImageState, and when
    asked the installed key's type (DigitalProductId4) and the Windows version."""
    values = ["ProductName", f"string:{product}", "EditionID", f"string:{edition}"]
    if key_type is not None:
        data = ",".join(f"{byte:02x}" for byte in digital_pid4(key_type, edition))
        values += ["DigitalProductId4", f"hex:3:{data}"]
    values += _version_values(version)
    script = "\n".join([
        "add Microsoft", "cd Microsoft", "add Windows NT", "cd Windows NT",
        "add CurrentVersion", "cd CurrentVersion", f"setval {len(values) // 2}", *values,
        "cd \\Microsoft", "add Windows", "cd Windows", "add CurrentVersion",
        "cd CurrentVersion", "add Setup", "cd Setup", "add State", "cd State", "setval 1",
        "ImageState", f"string:{state}", f"commit {out}", "",
    ])  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="station-test-hive-") as work:
        commands = Path(work) / "software.hsh"
        commands.write_text(script)
        subprocess.run(["hivexsh", "-w", "-f", str(commands), str(MINIMAL)], check=True)
    return out
