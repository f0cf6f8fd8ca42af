"""A real CUPS scheduler (Debian's cups-daemon) of the test's own, on a unix socket in a
temporary folder: `lp` reaches it through CUPS_SERVER. Its one queue is raw (the PDF goes
through untouched) and its backend writes each job's bytes to `<folder>/printed.<job id>`,
so a test reads back exactly what the printer would have received."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CUPSD = Path("/usr/sbin/cupsd")
SYSTEM_BIN = Path("/usr/lib/cups")
BACKEND = """#!/bin/sh
# Station's test backend: with no argument CUPS asks which devices it knows.
if [ $# -eq 0 ]; then echo 'direct stationtest "Unknown" "Station test printer"'; exit 0; fi
out="${DEVICE_URI#stationtest:}"
if [ -n "$6" ]; then cat "$6" > "$out.$1"; else cat > "$out.$1"; fi
"""


def cups_reason() -> str | None:
    if os.geteuid() != 0:
        return "a CUPS scheduler of the test's own needs root"
    missing = [str(CUPSD)] if not CUPSD.exists() else []
    missing += [t for t in ("lp", "lpadmin", "lpstat") if shutil.which(t) is None]
    return f"CUPS missing: {', '.join(missing)} (cups-daemon, cups-client)" if missing else None


@dataclass
class CupsQueue:
    name: str
    folder: Path

    def printed(self) -> list[bytes]:
        """Every job's bytes, oldest first, once CUPS has finished them."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = subprocess.run(
                ["lpstat", "-o", self.name], capture_output=True, text=True, check=False
            )
            if not done.stdout.strip():
                break
            time.sleep(0.2)
        jobs = sorted(self.folder.glob("printed.*"), key=lambda p: int(p.suffix[1:]))
        return [job.read_bytes() for job in jobs]


def _configure(root: Path) -> tuple[Path, Path, Path]:
    conf, server_bin, out = root / "conf", root / "bin", root / "out"
    for folder in (conf, server_bin / "backend", out, root / "spool", root / "cache",
                   root / "state", root / "log"):  # fmt: skip
        folder.mkdir(parents=True)
    for part in ("filter", "cgi-bin", "daemon", "monitor", "notifier", "driver"):
        if (SYSTEM_BIN / part).exists():
            (server_bin / part).symlink_to(SYSTEM_BIN / part)
    backend = server_bin / "backend" / "stationtest"
    backend.write_text(BACKEND)
    # 0700: CUPS runs such a backend as root, which can write under pytest's private
    # temporary folder (a 0755 one would run as lp and fail there).
    backend.chmod(0o700)
    socket = root / "cups.sock"
    (conf / "cupsd.conf").write_text(
        f"Listen {socket}\nLogLevel info\nWebInterface No\nBrowsing No\n"
        "DefaultAuthType None\n<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
    )
    (conf / "cups-files.conf").write_text(
        f"ServerRoot {conf}\nServerBin {server_bin}\nRequestRoot {root / 'spool'}\n"
        f"CacheDir {root / 'cache'}\nStateDir {root / 'state'}\nTempDir {root / 'spool'}\n"
        f"ErrorLog {root / 'log/error_log'}\nAccessLog {root / 'log/access_log'}\n"
        f"PageLog {root / 'log/page_log'}\nSystemGroup root\n"
    )
    return conf, socket, out


@pytest.fixture
def cups_queue(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CupsQueue]:
    """A running cupsd with the queue `atelier`; CUPS_SERVER points `lp` at it."""
    reason = cups_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("cups")
    root.chmod(0o755)
    conf, socket, out = _configure(root)
    daemon = subprocess.Popen(
        [str(CUPSD), "-f", "-c", str(conf / "cupsd.conf"), "-s", str(conf / "cups-files.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        monkeypatch.setenv("CUPS_SERVER", str(socket))
        deadline = time.monotonic() + 30
        while (
            "is running"
            not in subprocess.run(
                ["lpstat", "-r"], capture_output=True, text=True, check=False
            ).stdout
        ):
            assert daemon.poll() is None, (root / "log/error_log").read_text()
            assert time.monotonic() < deadline, "cupsd did not answer within 30 s"
            time.sleep(0.2)
        subprocess.run(
            ["lpadmin", "-p", "atelier", "-E", "-v", f"stationtest:{out / 'printed'}"],
            check=True, capture_output=True,
        )  # fmt: skip
        yield CupsQueue("atelier", out)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=30)
