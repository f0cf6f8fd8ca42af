"""The chain head kept beside the bench key: the last seq and its envelope digest.

Deleting the newest records from the journal's SQLite file leaves a valid, shorter chain:
nothing inside the file can tell. The bench therefore also writes its head to a small
file in the key folder after every append. `journal check` refuses a journal whose chain
ends before that head, or whose record at that seq is another one.

The file is written to a temporary file, synced, renamed over the old one, then the
folder and the renamed file are synced too: on the stick's FAT the rename is only in
dirty pages until then, and a stick pulled in between came back (issue 20, live tier)
with `chain-head.json` empty (fsck truncated it). An unreadable head is never replaced by
an ordinary append: it may be the only sign that the journal lost records too. Only a
writer that can vouch for the chain replaces it: the journal at the stick's return
(station.journal.holding, from the head this process wrote itself and found again), or
the supervisor's `station journal reseal-head` after checking the journal.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from station.errors import JournalError

log = logging.getLogger(__name__)
HEAD_FILE = "chain-head.json"
RESEAL_COMMAND = "station journal reseal-head"


@dataclass(frozen=True)
class ChainHead:
    bench_id: str
    seq: int
    digest: str  # "" when unknown (the server's view gives only the seq)


class HeadUnreadable(JournalError):
    """The saved head is there but cannot be read (empty, cut short, not a head)."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(
            f"{path}: the saved chain head is unreadable ({why}); once the journal is "
            f"looked at, `{RESEAL_COMMAND}` checks it and saves a new head",
            french=f"{path} : la tête de chaîne enregistrée est illisible (fichier abîmé : "
            "la clé a peut-être été retirée pendant une écriture). Sans elle, une suppression "
            "des derniers enregistrements ne se verrait pas. L'encadrant lance "
            f"« {RESEAL_COMMAND} » : il vérifie le journal, puis enregistre une nouvelle tête",
        )


def head_path(key_path: Path | None) -> Path | None:
    """Where the head of the bench whose private key is at `key_path` is kept (None for a
    key that lives only in memory)."""
    return None if key_path is None else key_path.parent / HEAD_FILE


def read_head(path: Path | None) -> ChainHead | None:
    """The saved head; None when there is none; HeadUnreadable when it is damaged."""
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ChainHead(str(data["bench_id"]), int(data["seq"]), str(data["digest"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HeadUnreadable(path, str(exc) or type(exc).__name__) from exc


def write_head(path: Path | None, head: ChainHead, *, replace_unreadable: bool = False) -> bool:
    """Save `head`, durably; True when saved. Never lowers a saved seq (a slower writer
    cannot move it back); leaves an unreadable saved head alone unless
    `replace_unreadable` (the caller vouches for the chain: see the module). Never
    raises: the record itself is stored, only the shortening check loses this step."""
    if path is None:
        return False
    try:
        saved = read_head(path)
    except HeadUnreadable as exc:
        if not replace_unreadable:
            log.warning("chain head not updated, left as found: %s", exc.one_line())
            return False
        log.warning("replacing an unreadable chain head with seq %d: %s", head.seq, path)
        saved = None
    if saved is not None and saved.bench_id == head.bench_id and saved.seq >= head.seq:
        return False
    text = json.dumps({"bench_id": head.bench_id, "seq": head.seq, "digest": head.digest})
    try:
        replace_durably(path, text)
    except OSError as exc:
        log.warning("could not save the chain head to %s: %s", path, exc)
        return False
    return True


def replace_durably(path: Path, text: str) -> None:
    """Write `text` to a temporary file, sync it, rename it over `path`, then sync the
    folder (the old name's removal) and the file again. On vfat the renamed file's new
    directory entry is written back with that file's own inode, not with its folder:
    only an fsync of the file itself puts it on the stick."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    for target, flags in ((path.parent, os.O_RDONLY | os.O_DIRECTORY), (path, os.O_RDONLY)):
        descriptor = os.open(target, flags)
        try:
            os.fsync(descriptor)
        except OSError as exc:
            # Some filesystems refuse to sync a folder: the file's own sync still runs.
            if target == path or exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
                raise
        finally:
            os.close(descriptor)


def check_against(
    head: ChainHead | None,
    bench_id: str,
    tip_seq: int,
    digest_at: str | None,
    where: tuple[str, str],
) -> None:
    """A JournalError when the chain (ending at `tip_seq`, whose record at head.seq has
    digest `digest_at`) is shorter than `head` or differs at it; `where` names the head
    (in English, in French)."""
    if head is None or head.bench_id != bench_id:
        return
    if tip_seq < head.seq:
        raise JournalError(
            f"the journal ends at seq {tip_seq} but {where[0]} says this bench wrote up to seq "
            f"{head.seq}: records were deleted from the journal",
            french=f"le journal s'arrête au n° {tip_seq} mais {where[1]} dit que ce banc a écrit "
            f"jusqu'au n° {head.seq} : des enregistrements ont été supprimés du journal",
        )
    if head.digest and digest_at != head.digest:
        raise JournalError(
            f"the record at seq {head.seq} is not the one this bench wrote ({where[0]})",
            french=f"l'enregistrement n° {head.seq} n'est pas celui que ce banc a écrit "
            f"({where[1]})",
        )
