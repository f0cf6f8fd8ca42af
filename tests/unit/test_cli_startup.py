"""A command imports only its own module: the PDF and TUI libraries cost seconds to
import on an old bench laptop (and ten times more inside the VM tier)."""

from __future__ import annotations

import subprocess
import sys


def imported_after(argv: list[str]) -> set[str]:
    probe = (
        "import sys\n"
        "from station.cli import main\n"
        f"code = main({argv!r})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(eval(done.stdout.strip().splitlines()[-1]))


def test_a_simple_command_does_not_load_pdf_http_or_tui_libraries() -> None:
    loaded = imported_after(["profiles"])
    assert not loaded & {"fpdf", "textual", "requests", "fastapi", "segno"}, loaded


def test_help_still_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "station", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    for word in ("wipe", "disks", "smart", "verify", "sync", "deploy", "certificate", "sign-off"):
        assert word in done.stdout
