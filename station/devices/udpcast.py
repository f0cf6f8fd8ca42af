"""Debian's udpcast: `udp-sender` on the classroom server, `udp-receiver` on each laptop.

udpcast sends one file to every receiver at once by IP multicast, with its own
retransmissions (and FEC when asked). The sender waits for `--min-receivers` laptops or
`--max-wait` seconds, then streams; a receiver that stops answering is dropped after
`--retries-until-drop` retries so the class goes on without it. A receiver gives up
after `--start-timeout` seconds without a session (a laptop that joined late) or
`--receive-timeout` seconds without data (a cut link); it writes what it received, in
order, on its standard output, which Station reads frame by frame (imaging/multicast.py).

Both sides need the interface's broadcast address (`ip addr add A/24 brd + dev IF`):
without it udp-receiver sends its connection request to 0.0.0.0 and never finds the
sender (seen with udpcast 20120424 on veth interfaces).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from station.devices.runner import end_process

log = logging.getLogger(__name__)

DEFAULT_PORTBASE = 9000


@dataclass(frozen=True)
class SenderSettings:
    """How the server streams one image."""

    interface: str
    portbase: int = DEFAULT_PORTBASE
    min_receivers: int = 1
    max_wait_s: int = 60  # start anyway after this long with at least one laptop
    retries_until_drop: int = 30
    max_bitrate: str | None = None  # e.g. "600m": leave room for HTTP fallback and others
    fec: str | None = None  # e.g. "8x8/128" on lossy links (Wi-Fi bridges)

    def argv(self, file: Path) -> list[str]:
        argv = [
            "udp-sender", "--nokbd", "--no-progress",
            "--interface", self.interface,
            "--portbase", str(self.portbase),
            "--file", str(file),
            "--min-receivers", str(self.min_receivers),
            "--max-wait", str(self.max_wait_s),
            "--retries-until-drop", str(self.retries_until_drop),
        ]  # fmt: skip
        if self.max_bitrate:
            argv += ["--max-bitrate", self.max_bitrate]
        if self.fec:
            argv += ["--fec", self.fec]
        return argv


@dataclass(frozen=True)
class ReceiverSettings:
    """How a laptop listens for the stream."""

    interface: str
    portbase: int = DEFAULT_PORTBASE
    start_timeout_s: int = 30  # no session by then: this laptop came late, use HTTP
    receive_timeout_s: int = 5  # no data for this long: the link is gone, use HTTP

    def argv(self) -> list[str]:
        return [
            "udp-receiver", "--nokbd", "--no-progress",
            "--interface", self.interface,
            "--portbase", str(self.portbase),
            "--start-timeout", str(self.start_timeout_s),
            "--receive-timeout", str(self.receive_timeout_s),
        ]  # fmt: skip


def missing_tool(name: str) -> str | None:
    """Why udpcast cannot run here, or None."""
    if shutil.which(name) is None:
        return f"{name} is not installed (Debian package udpcast)"
    return None


@dataclass
class UdpProcess:
    """A running udp-sender or udp-receiver; its stderr goes to a file read at the end."""

    argv: list[str]
    process: subprocess.Popen[bytes]
    log_file: IO[bytes]
    messages: str = field(default="")

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def wait(self, timeout: float | None = None) -> int:
        code = self.process.wait(timeout)
        self._read_messages()
        return code

    def stop(self) -> int | None:
        """End it if it still runs; its exit code (negative when it had to be ended)."""
        end_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._read_messages()
        self.log_file.close()
        return self.process.returncode

    def _read_messages(self) -> None:
        if self.log_file.closed:
            return  # stopped before: the messages were kept then
        self.log_file.seek(0)
        # udpcast redraws its progress with \r: keep the lines that say something.
        text = self.log_file.read().decode("utf-8", "replace").replace("\r", "\n")
        text = "".join(c for c in text if c == "\n" or c.isprintable())  # udpcast rings a bell
        self.messages = "\n".join(line for line in text.splitlines() if line.strip())


def start(argv: list[str], *, stdout_pipe: bool) -> UdpProcess:
    """Start a udpcast program; its standard output is a pipe when `stdout_pipe`."""
    log_file = tempfile.TemporaryFile(prefix="udpcast-")  # noqa: SIM115 (closed by stop)
    log.info("starting %s", " ".join(argv))
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if stdout_pipe else subprocess.DEVNULL,
        stderr=log_file,
    )
    return UdpProcess(argv, process, log_file)
