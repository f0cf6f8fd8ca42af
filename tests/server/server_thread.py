"""The real inventory server (uvicorn) on 127.0.0.1, in a thread of the test process.

A free port is picked first and uvicorn binds it itself (a socket handed to uvicorn
ready-bound leaves Nagle on for accepted connections: 40 ms per request). `restart()`
binds the same port again: that is how tests take the server down for a while and bring
it back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from station.classroom.control import SessionControl
from station.inventory.app import create_app
from station.inventory.settings import Settings
from tests.server.pg_cluster import free_port


class ServerThread:
    def __init__(
        self,
        settings: Settings,
        port: int = 0,
        prepare: Callable[[FastAPI], None] | None = None,
        classroom: SessionControl | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.settings = settings
        self.host = host  # 127.0.0.1, or a test namespace network's own address
        self.classroom = classroom  # the classroom engine the /salle page drives
        self.port = port
        self.prepare = prepare  # changes the app before it serves (e.g. remove a route)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        if self.port == 0:
            self.port = free_port()
        app = create_app(self.settings, classroom=self.classroom)
        if self.prepare is not None:
            self.prepare(app)
        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the inventory server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(30)
            self._server = None

    def restart(self) -> None:
        self.stop()
        self.start()
