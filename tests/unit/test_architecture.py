"""The dependency rule of architecture.md cannot rot: import-linter's contracts run here,
and importing the domain must not drag in any adapter library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout


def test_importing_the_domain_loads_no_adapter_library() -> None:
    probe = (
        "import sys, pkgutil, importlib, station.domain as d\n"
        "for m in pkgutil.iter_modules(d.__path__):\n"
        "    importlib.import_module('station.domain.' + m.name)\n"
        "bad = {'textual','requests','sqlite_utils','pyudev','subprocess','cryptography',"
        "'fastapi','yaml'} & {n.split('.')[0] for n in sys.modules}\n"
        "print(sorted(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
