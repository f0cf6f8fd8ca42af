"""Debian's dnsmasq as the classroom's proxy-DHCP and TFTP server (config: classroom/pxe.py).

`check_config` runs `dnsmasq --test` on the generated file (a syntax error is said
before the session starts); `start` runs it in the foreground as a child of
`station classroom`, logging to a file, so stopping the session stops it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from station.devices.runner import end_process
from station.errors import ConfigError

log = logging.getLogger(__name__)


def missing() -> str | None:
    if shutil.which("dnsmasq") is None:
        return "dnsmasq is not installed (Debian package dnsmasq-base)"
    return None


def check_config(conf: Path) -> None:
    """ConfigError with dnsmasq's own words when it refuses the file."""
    done = subprocess.run(
        ["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ConfigError(f"dnsmasq refuse {conf}: {(done.stderr or done.stdout).strip()}")


class Dnsmasq:
    """A running dnsmasq; `stop()` ends it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        end_process(self.process, grace_s=10)


def start(conf: Path, log_file: Path) -> Dnsmasq:
    """dnsmasq in the foreground (no daemon, no pid file), its log in `log_file`."""
    argv = [
        "dnsmasq", "--keep-in-foreground", f"--conf-file={conf}", "--pid-file=",
        f"--log-facility={log_file}", "--user=root",
    ]  # fmt: skip
    log.info("starting %s", " ".join(argv))
    return Dnsmasq(subprocess.Popen(argv, stdin=subprocess.DEVNULL))
