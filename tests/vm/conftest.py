"""VM tier fixtures: the cached kernel + rootfs, and one boot per scenario.

Boots are expensive (~25 s each under TCG), so each scenario boots once per session
(module-scoped fixtures in the test modules) and many small tests read its result.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VM_SCRIPTS = REPO / "scripts" / "vm"
sys.path.insert(0, str(VM_SCRIPTS))

from harness import qemu_missing_reason  # noqa: E402
from rootfs import BuiltRootfs, ensure_rootfs, missing_tools  # noqa: E402


def vm_tier_reason() -> str | None:
    """Why the VM tier cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "VM tier needs root (mmdebstrap --mode=root builds the rootfs)"
    reason = qemu_missing_reason()
    if reason:
        return reason
    missing = missing_tools()
    if missing:
        return f"VM tier needs {', '.join(missing)} (scripts/install-system-deps.sh)"
    for tool in ("sfdisk", "mkfs.vfat"):
        if shutil.which(tool) is None:
            return f"VM tier needs {tool} on the host to make the stand-in live stick"
    return None


@pytest.fixture(scope="session")
def vm_rootfs() -> BuiltRootfs:
    reason = vm_tier_reason()
    if reason:
        pytest.skip(reason)
    return ensure_rootfs()


@pytest.fixture(scope="module")
def vm_workdir(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """Images and logs of one boot; kept when STATION_VM_KEEP is set, for debugging."""
    path = tmp_path_factory.mktemp(f"vm-{request.module.__name__.rsplit('.', 1)[-1]}")
    yield path
    if not os.environ.get("STATION_VM_KEEP"):
        for image in path.glob("*.img"):
            image.unlink()
        for big in ("initrd.cpio", "overlay.cpio"):
            (path / big).unlink(missing_ok=True)
