"""Registry hives a Windows master carries, made with Debian's hivexsh from hivex's
`minimal` hive (tests/fixtures/registry/SOURCES.md): no Windows needed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "registry" / "minimal"
GENERALIZED = "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
INSTALLED = "IMAGE_STATE_COMPLETE"


def hive_reason() -> str | None:
    missing = [t for t in ("hivexsh", "hivexget", "ntfscat") if shutil.which(t) is None]
    return f"registry tools missing: {', '.join(missing)} (libhivex-bin)" if missing else None


def software_hive(
    out: Path, *, product: str = "Windows 10 Pro", edition: str = "Professional",
    state: str = GENERALIZED,
) -> Path:  # fmt: skip
    """A SOFTWARE hive with ProductName, EditionID and Setup\\State ImageState."""
    script = "\n".join([
        "add Microsoft", "cd Microsoft", "add Windows NT", "cd Windows NT",
        "add CurrentVersion", "cd CurrentVersion", "setval 2",
        "ProductName", f"string:{product}", "EditionID", f"string:{edition}",
        "cd \\Microsoft", "add Windows", "cd Windows", "add CurrentVersion",
        "cd CurrentVersion", "add Setup", "cd Setup", "add State", "cd State", "setval 1",
        "ImageState", f"string:{state}", f"commit {out}", "",
    ])  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="station-test-hive-") as work:
        commands = Path(work) / "software.hsh"
        commands.write_text(script)
        subprocess.run(["hivexsh", "-w", "-f", str(commands), str(MINIMAL)], check=True)
    return out
