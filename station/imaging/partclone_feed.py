"""Feed one decompressed partclone image to partclone restores on one or more partitions.

Each partclone reads its image from a named pipe, so the runner (the only place that
starts processes) runs it unchanged while this thread decompresses (zstandard and zlib
release the GIL) and writes the same bytes into every pipe: the image is read and
decompressed once for a batch. A partclone that stops reading (it failed) drops out; a
stream that fails to decompress fails them all.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from station.devices.runner import CommandEvidence, Runner
from station.errors import CommandError, ImageError, JobCancelled
from station.imaging.clonezilla import SavedPartition

CHUNK = 4 * 1024 * 1024
HEADER_BYTES = 88
TIMEOUT = 6 * 3600.0


class ConcatReader:
    """The split pieces (.aa, .ab, ...) of one image as one readable stream."""

    def __init__(self, pieces: tuple[Path, ...], on_read: Callable[[int], None]) -> None:
        self.pieces, self.index, self.on_read = list(pieces), 0, on_read
        self.handle: IO[bytes] | None = None

    def read(self, size: int = -1) -> bytes:
        while self.index < len(self.pieces):
            if self.handle is None:
                self.handle = self.pieces[self.index].open("rb")
            data = self.handle.read(size if size > 0 else CHUNK)
            if data:
                self.on_read(len(data))
                return data
            self.handle.close()
            self.handle, self.index = None, self.index + 1
        return b""

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def open_stream(part: SavedPartition, on_read: Callable[[int], None]) -> Any:
    raw = ConcatReader(part.pieces, on_read)
    if part.compression == "gz":
        return gzip.GzipFile(fileobj=cast(IO[bytes], raw), mode="rb")
    if part.compression == "zst":
        reader = zstandard.ZstdDecompressor()
        return reader.stream_reader(cast(IO[bytes], raw), read_across_frames=True)
    if part.compression == "xz":
        return lzma.LZMAFile(cast(IO[bytes], raw), mode="rb")
    if part.compression == "bz2":
        return bz2.BZ2File(cast(IO[bytes], raw), mode="rb")
    return raw


def partclone_argv(tool: str, image: Path, target: str, log: Path) -> list[str]:
    """Restore `image` (a pipe) onto `target` as Clonezilla does: the image on stdin
    (`-s -`). partclone.dd has no `-r` and sizes a named pipe given with `-s` as 0 bytes,
    so it must read stdin; `sh` only redirects it (the arguments stay separate)."""
    restore = [] if tool == "partclone.dd" else ["-r"]
    return [
        "sh",
        "-c",
        'exec "$@" < "$0"',
        str(image),
        tool,
        *restore,
        "-q",
        "-L",
        str(log),
        "-s",
        "-",
        # -O: a regular file (a staging copy) is written over; a device is opened as is.
        "-o" if target.startswith("/dev/") else "-O",
        target,
    ]


def partclone_header(part: SavedPartition) -> tuple[int, int]:
    """(used bytes, device bytes) from the image's partclone header (format 0002):
    what the filesystem holds, before anything is restored."""
    stream = open_stream(part, lambda _: None)
    try:
        head = stream.read(HEADER_BYTES)
        head += stream.read(HEADER_BYTES - len(head)) if len(head) < HEADER_BYTES else b""
    except Exception as exc:  # gzip/zstd errors share no base class
        raise ImageError(f"image of {part.name} is corrupt: {exc}") from exc
    finally:
        stream.close()
    complete = len(head) >= HEADER_BYTES and head.startswith(b"partclone-image")
    if not complete or head[30:34] != b"0002":
        raise ImageError(f"image of {part.name} has no partclone 0002 header")
    device = int.from_bytes(head[52:60], "little")
    used_blocks = int.from_bytes(head[68:76], "little")
    block = int.from_bytes(head[84:88], "little")
    return used_blocks * block, device


@dataclass
class Restore:
    node: str
    fifo: Path
    evidence: CommandEvidence | None = None
    error: str | None = None
    cancelled: bool = False  # the error is the operator's stop, not a fault
    fd: int = -1
    thread: threading.Thread | None = None


def _open_writer(restore: Restore, deadline: float) -> None:
    """Open the pipe once partclone opened it for reading; give up if partclone ended."""
    while True:
        try:
            fd = os.open(restore.fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            thread = restore.thread
            if (thread is not None and not thread.is_alive()) or time.monotonic() > deadline:
                restore.error = "partclone did not start reading its image"
                return
            time.sleep(0.01)
            continue
        os.set_blocking(fd, True)
        restore.fd = fd
        return


def _send(restores: list[Restore], data: bytes) -> None:
    for restore in restores:
        if restore.fd < 0:
            continue
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(restore.fd, view) :]
        except BrokenPipeError:
            restore.error = "partclone stopped reading its image"
            os.close(restore.fd)
            restore.fd = -1


def restore_partition(
    part: SavedPartition,
    nodes: list[str],
    runner: Runner,
    *,
    on_read: Callable[[int], None],
    cancel: threading.Event | None = None,
) -> list[Restore]:
    """Restore `part` onto every node; each Restore says how its partclone ended."""
    with tempfile.TemporaryDirectory(prefix="station-partclone-") as work:
        restores = [Restore(node, Path(work) / f"image-{i}") for i, node in enumerate(nodes)]
        for restore in restores:
            os.mkfifo(restore.fifo, 0o600)

            def run(r: Restore = restore) -> None:
                argv = partclone_argv(part.tool, r.fifo, r.node, Path(f"{r.fifo}.log"))
                try:
                    r.evidence = runner.run(argv, timeout=TIMEOUT)
                except CommandError as exc:
                    r.error = exc.one_line()

            restore.thread = threading.Thread(target=run, name=f"partclone-{restore.node}")
            restore.thread.start()
        stream_error: str | None = None
        stopped = False
        try:
            deadline = time.monotonic() + 60
            for restore in restores:
                _open_writer(restore, deadline)
            stream = open_stream(part, on_read)
            while any(r.fd >= 0 for r in restores):
                if cancel is not None and cancel.is_set():
                    raise JobCancelled(f"cancelled while restoring {part.name}")
                try:
                    data = stream.read(CHUNK)
                except Exception as exc:  # gzip/zstd errors share no base class
                    raise ImageError(f"image of {part.name} is corrupt: {exc}") from exc
                if not data:
                    break
                _send(restores, data)
        except (ImageError, JobCancelled) as exc:
            stream_error, stopped = exc.one_line(), isinstance(exc, JobCancelled)
        finally:
            for restore in restores:
                if restore.fd >= 0:
                    os.close(restore.fd)
                    restore.fd = -1
            for restore in restores:
                assert restore.thread is not None
                restore.thread.join()
        for restore in restores:
            evidence = restore.evidence
            if stream_error is not None:
                restore.error, restore.cancelled = stream_error, stopped
            elif evidence is None:
                restore.error = restore.error or "partclone did not run"
            elif not evidence.ok:
                # The argv is `sh -c` (stdin redirect); name partclone itself.
                restore.error = f"`{part.tool}` exited {evidence.returncode} ({_log_tail(restore)})"
        return restores


def _log_tail(restore: Restore) -> str:
    """partclone says why it failed in its log, which lives in the temporary folder."""
    try:
        lines = Path(f"{restore.fifo}.log").read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no partclone log"
    useful = [line.strip() for line in lines if line.strip()]
    return "; ".join(useful[-2:]) if useful else "empty partclone log"
