"""The supervisor's session: wait for the laptops, start the stream, follow the board.

`conduct` is what `station classroom serve` runs once the server is up: it waits until
`laptops` laptops said `joined` on the board (or starts at once with `start_now`), starts
udp-sender for the image with that many receivers, then reports the board's counts until
every laptop that joined is `done`, `failed` or `cancelled` (or the supervisor stops
it). Laptops that join after the start are not waited for by the stream: they take the
image over HTTP. With `expected` (more laptops than the stream waits for, some of them
still booting), the session also stays up until that many finished, so a laptop that
arrives once the first ones are done still finds the server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from station.classroom.board import LABELS_FR
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.errors import ImageError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionPlan:
    image_folder: Path
    sender: SenderSettings
    laptops: int
    start_now: bool = False
    join_wait_s: float = 600.0  # start anyway after this long, with who joined
    expected: int = 0  # stay up until this many laptops finished (0: those who joined)


def counts_line(server: ClassroomServer) -> str:
    counts = server.board.counts()
    return " · ".join(f"{LABELS_FR[state]} {n}" for state, n in counts.items())


def conduct(
    server: ClassroomServer,
    plan: SessionPlan,
    *,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    poll_s: float = 1.0,
    on_stream: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Run the session (see the module's docstring); the board's final counts."""
    stop = stop or threading.Event()
    started = time.monotonic()
    joined = 0
    while not plan.start_now and not stop.is_set():
        joined = len(server.board.snapshot())
        if joined >= plan.laptops or time.monotonic() - started > plan.join_wait_s:
            break
        say(f"en attente des portables : {joined}/{plan.laptops} inscrits")
        stop.wait(poll_s)
    if stop.is_set():
        return server.board.counts()
    if not plan.start_now and joined == 0:
        # Nobody to stream to: say so, rather than leave udp-sender waiting for ghosts.
        raise ImageError(
            f"aucun portable inscrit après {plan.join_wait_s:.0f} s d'attente : "
            "vérifiez le réseau de la salle et relancez la séance"
        )
    receivers = max(1, min(plan.laptops, joined or plan.laptops))
    say(f"envoi de l'image à {receivers} portable(s) par multicast")
    sender = server.stream(plan.image_folder, replace(plan.sender, min_receivers=receivers))
    if on_stream is not None:
        on_stream(receivers)
    last = ""
    while not stop.is_set():
        line = counts_line(server)
        if line != last:
            say(line)
            last = line
        counts = server.board.counts()
        finished = counts["done"] + counts["failed"] + counts["cancelled"]
        if finished and finished >= max(len(server.board.snapshot()), plan.expected):
            break
        stop.wait(poll_s)
    code = sender.stop()
    log.info("udp-sender ended (exit %s): %s", code, sender.messages[-300:])
    return server.board.counts()
