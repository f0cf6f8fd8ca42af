"""Sending a PDF to a CUPS queue with `lp` (cups-client): the bench profile names the
queue; without one, Station only writes the PDF files."""

from __future__ import annotations

import logging
from pathlib import Path

from station.devices.runner import Runner
from station.errors import CommandError

log = logging.getLogger(__name__)


def send_to_printer(runner: Runner, queue: str, document: Path) -> str:
    """Queue `document` on `queue`; returns lp's answer ("request id is …")."""
    done = runner.run(["lp", "-d", queue, "--", str(document)], timeout=60)
    if done.returncode != 0:
        raise CommandError(f"lp -d {queue} exited {done.returncode}: {done.stderr.strip()}")
    log.info("printed %s on %s: %s", document, queue, done.stdout.strip())
    return done.stdout.strip()
