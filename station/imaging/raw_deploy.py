"""Format 1 deploy: stream disk.img.zst through the block map to one or more open targets."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import zstandard

from station.errors import ImageError, JobCancelled
from station.imaging import bmap as bmapfile
from station.imaging.bmap import BlockMap
from station.imaging.raw_create import BMAP_FILE, IMAGE_FILE
from station.imaging.readback import readback_mismatches
from station.imaging.stream_writer import StreamWriter, TargetRun

READ_SIZE = 1024 * 1024


def load_block_map(folder: Path) -> BlockMap:
    return bmapfile.parse(folder / BMAP_FILE)


def stream_raw_image(
    folder: Path,
    block_map: BlockMap,
    runs: list[TargetRun],
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Decompress once, write to every run. ImageError/JobCancelled concern the whole batch."""
    decompressor = zstandard.ZstdDecompressor()
    with (folder / IMAGE_FILE).open("rb") as packed:
        stream = decompressor.stream_reader(packed, read_size=READ_SIZE, closefd=False)
        writer = StreamWriter(
            stream, block_map.image_size, block_map.spans(), runs, tick=tick, cancel=cancel
        )
        writer.run()
        # Anything after the image's last byte means the file is not what the map says.
        if stream.read(1):
            raise ImageError(f"{folder / IMAGE_FILE} is longer than the block map's image size")


def verify_runs(
    runs: list[TargetRun],
    block_map: BlockMap,
    *,
    tick: Callable[[int], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[int, list[tuple[int, int]]]:
    """Read back every run that wrote without error, in parallel; mismatches by run index."""
    found: dict[int, list[tuple[int, int]]] = {}
    errors: dict[int, str] = {}

    def check(index: int) -> None:
        run = runs[index]
        try:
            run.target.flush()
            found[index] = readback_mismatches(
                run.target, block_map.spans(), tick=tick if index == 0 else None, cancel=cancel
            )
        except JobCancelled:
            errors[index] = "read-back cancelled"
        except OSError as exc:
            gone = run.target.gone_error(exc)
            errors[index] = gone.one_line() if gone else f"read-back failed: {exc.strerror or exc}"

    threads = [
        threading.Thread(target=check, args=(index,), daemon=True)
        for index, run in enumerate(runs)
        if run.error is None
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, message in errors.items():
        runs[index].error = message
    return found
