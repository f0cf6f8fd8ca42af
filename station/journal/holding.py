"""The journal on a stick that can be pulled (issue 20): while its storage is gone,
records are held in memory instead of failing, and written once the same stick is back.

A job running when the stick is pulled finishes its device work; each record it makes
is signed and chained after the last record the stick kept (the chain tip known here),
and kept in RAM. `resume()` (called when the data partition is mounted again) reopens the
journal, checks it is the same journal (this bench's, its chain reaching the record the
held ones follow), saves the chain head beside the key again, writes the held records in
order in one transaction and checkpoints the WAL. A different stick is refused
(`WrongStick`) and the records stay held.

The head file is saved again because the pull can lose its last write (on FAT the
rename was still in dirty pages: the live tier saw it come back empty). It is replaced
only from what this process vouches for: the head it saved itself (or found valid when
it opened the journal), whose record the returned journal must hold; an unreadable head
this process never got past is left for the supervisor (`station journal reseal-head`).

Reads while records are held raise `JournalHeld`: the journal file is on the stick, and a
dead filesystem would only answer with I/O errors.

What is held lives in this process only: a power-off or a crash of Station while the
stick is out loses the held records (the device work was done; its record was not kept).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from station.domain.record import StepBody
from station.errors import JournalError
from station.journal.envelope import envelope_digest
from station.journal.head import ChainHead, HeadUnreadable, read_head
from station.journal.keys import BenchKey
from station.journal.store import DEFAULT_BUSY_TIMEOUT_MS, Journal, StoredRecord

log = logging.getLogger(__name__)

# SQLite's words when the file's storage is gone: the device was pulled (EIO), the
# mount went away, or the kernel made the filesystem read-only after errors.
STORAGE_GONE = ("disk i/o error", "unable to open database file", "readonly database")


class JournalHeld(JournalError):
    """The journal's stick is out: records are held, nothing can be read from it."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"journal {path}: the Station stick was removed; records are held until it is "
            "back (nothing is lost)",
            french="le journal est sur la clé Station, qui a été retirée : remettez-la, "
            "rien n'est perdu",
        )


class WrongStick(JournalError):
    """A stick came back that does not hold this bench's journal: nothing is written."""

    def __init__(self, why: str, pourquoi: str) -> None:
        super().__init__(
            f"this is not this bench's Station stick ({why}): put the original back, "
            "nothing is lost",
            french=f"ce n'est pas la clé Station de ce banc ({pourquoi}) : remettez la clé "
            "d'origine, rien n'est perdu",
        )


def storage_gone(exc: BaseException) -> bool:
    """True when a journal error comes from its storage disappearing, not from a bug."""
    cause = exc.__cause__
    if isinstance(cause, OSError):
        return True
    return isinstance(cause, sqlite3.OperationalError) and any(
        words in str(cause).lower() for words in STORAGE_GONE
    )


class HoldingJournal(Journal):
    """A Journal that holds its records in memory while its stick is out (see module)."""

    def __init__(
        self,
        path: Path | str,
        key: BenchKey,
        bench_id: str | None = None,
        *,
        medium_present: Callable[[], bool] = lambda: True,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.medium_present = medium_present
        self._hold_lock = threading.RLock()
        self._held: list[tuple[StepBody, StoredRecord]] = []
        self._holding = False
        self._resuming = False
        super().__init__(path, key, bench_id, busy_timeout_ms=busy_timeout_ms)
        self._known_tip = self.tip()  # what the held records would follow
        self.vouched_head = self._head_found_valid()

    @property
    def holding(self) -> bool:
        """The stick is out (or its storage failed): records go to memory."""
        return self._holding

    def held_ids(self) -> set[str]:
        with self._hold_lock:
            return {record.record_id for _, record in self._held}

    def held_count(self) -> int:
        return len(self._held)

    def append_many(self, bodies: Iterable[dict[str, Any] | StepBody]) -> list[StoredRecord]:
        drafts = [self._draft(body) for body in bodies]  # bad bodies fail here, held or not
        with self._hold_lock:
            if not self._holding and self.medium_present():
                try:
                    stored = super().append_many(drafts)
                except JournalError as exc:
                    if not storage_gone(exc):
                        raise
                    log.warning("journal storage gone, holding records: %s", exc.one_line())
                else:
                    if stored:
                        self._known_tip = stored[-1]
                    return stored
            if not self._holding:
                log.warning("Station stick out: records held in memory until it is back")
            self._holding = True
            return self._hold(drafts)

    def mark_lost(self) -> None:
        """The stick was seen missing: hold from now on, before any write is tried."""
        with self._hold_lock:
            self._holding = True

    def resume(self) -> int:
        """The data partition is mounted again: reopen the journal, check it is this
        bench's, write the held records in order, checkpoint. Returns how many records
        were written. WrongStick (records kept) for another stick; a JournalError whose
        storage_gone() is true when the stick is not readable yet."""
        with self._hold_lock:
            if not self._holding:
                return 0
            if not self.path.is_file():
                raise WrongStick("no journal on it", "elle ne porte pas de journal")
            self._resuming = True
            try:
                written = self._write_held()
            except JournalError:
                self.let_go()  # nothing stays open on a stick that is refused or failing
                raise
            finally:
                self._resuming = False
            self._held.clear()
            self._holding = False
            log.info("Station stick back: %d held record(s) written", written)
            return written

    def _write_held(self) -> int:
        try:
            self.reopen()
        except JournalError as exc:
            if storage_gone(exc):
                raise
            raise WrongStick(
                "its journal belongs to another bench", "son journal est celui d'un autre banc"
            ) from exc
        base = self._held[0][1] if self._held else None
        base_seq = base.seq - 1 if base else (self._known_tip.seq if self._known_tip else 0)
        base_digest = base.envelope_prev() if base else (
            self._known_tip.digest if self._known_tip else None
        )  # fmt: skip
        if not self._holds(base_seq, base_digest) or not self._holds_vouched_head():
            raise WrongStick(
                "its journal does not hold this bench's last records",
                "son journal n'a pas les derniers enregistrements du banc",
            )
        self._save_head_again()
        todo = self._held[self._already_written() :]
        records = [record for _, record in todo]
        tip = self.tip()
        if records and tip is not None and tip.seq != records[0].seq - 1:
            # Another process (a command on tty2) added records after the held ones were
            # sealed: chain them again after the real tip. Their record ids change.
            records = []
            for draft, _ in todo:
                tip = self._seal(draft, tip)
                records.append(tip)
        self.insert_sealed(records)
        self.checkpoint()
        self._known_tip = self.tip()
        return len(records)

    def _holds(self, seq: int, digest: str | None) -> bool:
        """The journal's record at `seq` is the one whose envelope digest is `digest`
        (computed from the envelope, not read from its index column); seq 0: nothing."""
        found = self._one("WHERE seq = ?", [seq]) if seq else None
        return (envelope_digest(found.envelope) if found else None) == digest

    def _holds_vouched_head(self) -> bool:
        head = self.vouched_head
        return head is None or self._holds(head.seq, head.digest)

    def _head_found_valid(self) -> ChainHead | None:
        """The saved head, when it is readable, this bench's, and the journal holds its
        record: this process can vouch for the chain up to it."""
        try:
            head = read_head(self.head_file)
        except HeadUnreadable as exc:
            log.warning("%s", exc.one_line())
            return None
        if head is None or head.bench_id != self.bench_id:
            return None
        return head if self._holds(head.seq, head.digest) else None

    def _save_head_again(self) -> None:
        """After the checks above: the journal holds the head this process vouches
        for, so its tip is saved as the head again, replacing a head file the pull
        emptied or left behind (never lowering a readable one)."""
        tip = self.tip()
        if tip is None or self.vouched_head is None:
            return
        self.save_head(tip, replace_unreadable=True)

    def _already_written(self) -> int:
        """How many held records the stick has already (a commit whose fsync failed can
        still have reached the disk)."""
        count = 0
        for _, record in self._held:
            found = self._one("WHERE seq = ?", [record.seq])
            if found is None or found.digest != record.digest:
                break
            count += 1
        return count

    def _hold(self, drafts: list[StepBody]) -> list[StoredRecord]:
        tip = self._held[-1][1] if self._held else self._known_tip
        sealed = []
        for draft in drafts:
            tip = self._seal(draft, tip)
            self._held.append((draft, tip))
            sealed.append(tip)
        return sealed

    def _db(self) -> Database:
        if self._holding and not self._resuming:
            raise JournalHeld(self.path)
        return super()._db()
