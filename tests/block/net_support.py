"""Network helpers for the streaming tests: a relay that cuts connections mid-answer.

`CuttingRelay` listens on 127.0.0.1 (a free port) and forwards every connection to the
real HTTP server; on the first `cuts` connections whose answers reach `after` bytes it closes
both sides there, as a switch port going down or a Wi-Fi bridge
dropping does: the client sees its answer end early (RST), not a clean HTTP error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import struct
import subprocess
import threading
from pathlib import Path

MIB = 1024 * 1024


class CuttingRelay:
    def __init__(self, upstream_port: int, *, after: int, cuts: int) -> None:
        self.upstream_port, self.after, self.cuts = upstream_port, after, cuts
        self.cuts_done = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _take_cut(self) -> bool:
        with self.lock:
            if self.cuts_done >= self.cuts:
                return False
            self.cuts_done += 1
            return True

    def _relay(self, client: socket.socket) -> None:
        server = socket.create_connection(("127.0.0.1", self.upstream_port))

        def upward() -> None:
            try:
                while data := client.recv(65536):
                    server.sendall(data)
            except OSError:
                pass

        threading.Thread(target=upward, daemon=True).start()
        sent = 0
        try:
            while data := server.recv(65536):
                # Only answers longer than `after` are cut (the small files pass whole).
                if sent + len(data) >= self.after and self._take_cut():
                    client.sendall(data[: self.after - sent])
                    break
                client.sendall(data)
                sent += len(data)
        except OSError:
            pass
        # The client's answer just stops, as over a dropped link.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # shutdown first: close() alone waits for the thread blocked in recv on it.
        for end in (client, server):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


def make_master(path: Path, size: int = 64 * MIB) -> None:
    """A disk image file with data, holes and compressible parts: MiB 0-20 random,
    20-40 zeros (two whole 8 MiB frames are holes), the rest a repeating text then random;
    a GPT on top."""
    with path.open("wb") as out:
        out.write(os.urandom(20 * MIB))
        out.write(bytes(20 * MIB))
        out.write((b"Station classroom test line\n" * (12 * MIB // 28 + 1))[: 12 * MIB])
        out.write(os.urandom(size - 52 * MIB))
    # A GPT with one partition, so the post-deploy steps find a table as on a real disk.
    subprocess.run(["sfdisk", "-q", str(path)], input=b"label: gpt\n,,L\n", check=True)


def sha256_of(path: Path, length: int, offset: int = 0) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        handle.seek(offset)
        left = length
        while left > 0 and (block := handle.read(min(4 * MIB, left))):
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def fill_pattern(path: Path, byte: int = 0xA5) -> None:
    """Fill a backing file with one byte value: what a disk held before the deploy."""
    size = path.stat().st_size
    block = bytes([byte]) * MIB
    with path.open("r+b") as out:
        for _ in range(size // MIB):
            out.write(block)
