"""The per-boot part of the initramfs: Station's code, the agent and the test payload.

Appended as a second cpio after the cached rootfs (the kernel unpacks concatenated
archives in order), so editing Station or a test never rebuilds the rootfs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from rootfs import REPO, BuiltRootfs, pack_cpio

HERE = Path(__file__).resolve().parent
STATION_WRAPPER = """#!/bin/sh
export PYTHONPATH=/opt/station:/opt/station-deps
exec /usr/bin/python3 -c 'import sys; from station.cli import main; sys.exit(main())' "$@"
"""


def build_overlay_tree(tree: Path, payload: str, settings: dict[str, object]) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "station", tree / "opt/station/station", ignore=ignore)
    shutil.copytree(REPO / "profiles", tree / "opt/station/profiles", ignore=ignore)
    vm = tree / "opt/station-vm"
    vm.mkdir(parents=True)
    for name in ("agent.py", "vmlib.py"):
        shutil.copy2(HERE / name, vm / name)
    (vm / "payload.py").write_text(payload)
    (vm / "config.json").write_text(json.dumps(settings, indent=2))
    wrapper = tree / "usr/local/bin/station"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(STATION_WRAPPER)
    wrapper.chmod(0o755)
    # Same CPython 3.11 bytecode as the VM's python3: compiling here saves seconds of TCG.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "opt")], check=True)


def build_initrd(
    rootfs: BuiltRootfs, workdir: Path, payload: str, settings: dict[str, object]
) -> Path:
    """workdir/initrd.cpio = cached rootfs.cpio + this boot's overlay cpio."""
    tree = workdir / "overlay"
    shutil.rmtree(tree, ignore_errors=True)
    build_overlay_tree(tree, payload, settings)
    overlay = workdir / "overlay.cpio"
    pack_cpio(tree, overlay)
    initrd = workdir / "initrd.cpio"
    with initrd.open("wb") as out:
        for part in (rootfs.initrd, overlay):
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, 8 * 1024 * 1024)
    return initrd
