"""The chain head kept beside the bench key: the last seq and its envelope digest.

Deleting the newest records from the journal's SQLite file leaves a valid, shorter chain:
nothing inside the file can tell. The bench therefore also writes its head to a small
file in the key folder after every append (written to a temporary file, synced, then
renamed: it is never half-written, also on FAT). `journal check` refuses a journal whose
chain ends before that head, or whose record at that seq is another one.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from station.errors import JournalError

log = logging.getLogger(__name__)
HEAD_FILE = "chain-head.json"


@dataclass(frozen=True)
class ChainHead:
    bench_id: str
    seq: int
    digest: str  # "" when unknown (the server's view gives only the seq)


def head_path(key_path: Path | None) -> Path | None:
    """Where the head of the bench whose private key is at `key_path` is kept (None for a
    key that lives only in memory)."""
    return None if key_path is None else key_path.parent / HEAD_FILE


def read_head(path: Path | None) -> ChainHead | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ChainHead(str(data["bench_id"]), int(data["seq"]), str(data["digest"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise JournalError(f"{path}: the saved chain head is unreadable ({exc})") from exc


def write_head(path: Path | None, head: ChainHead) -> None:
    """Save `head` (never lowering a saved seq: a slower writer cannot move it back)."""
    if path is None:
        return
    saved = read_head(path)
    if saved is not None and saved.bench_id == head.bench_id and saved.seq >= head.seq:
        return
    temporary = path.with_name(path.name + ".tmp")
    text = json.dumps({"bench_id": head.bench_id, "seq": head.seq, "digest": head.digest})
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except OSError as exc:
        # The record itself is stored; only the shortening check loses this step.
        log.warning("could not save the chain head to %s: %s", path, exc)


def check_against(
    head: ChainHead | None, bench_id: str, tip_seq: int, digest_at: str | None, where: str
) -> None:
    """A JournalError when the chain (ending at `tip_seq`, whose record at head.seq has
    digest `digest_at`) is shorter than `head` or differs at it."""
    if head is None or head.bench_id != bench_id:
        return
    if tip_seq < head.seq:
        raise JournalError(
            f"the journal ends at seq {tip_seq} but {where} says this bench wrote up to seq "
            f"{head.seq}: records were deleted from the journal"
        )
    if head.digest and digest_at != head.digest:
        raise JournalError(
            f"the record at seq {head.seq} is not the one this bench wrote ({where})"
        )
