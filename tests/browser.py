"""Debian's headless Chromium, as a visitor's browser: the DOM it builds, a screenshot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# A French workshop's browser: headless Chromium otherwise asks for en-US, and the back
# office follows Accept-Language (station/inventory/i18n.py).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--lang=fr-FR", "--accept-lang=fr-FR,fr",
]  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("headless browser check needs Debian's chromium (install-system-deps.sh)")
    return found


def _run(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(url: str) -> str:
    return _run("--dump-dom", url)


def screenshot(url: str, out: Path, size: str = "900,1400") -> Path:
    """The page as a PNG, at a phone-to-laptop width."""
    _run(f"--screenshot={out}", f"--window-size={size}", "--hide-scrollbars", url)
    assert out.is_file() and out.stat().st_size > 1000
    return out
