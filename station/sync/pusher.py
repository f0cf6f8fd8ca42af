"""The background pusher: drains the journal's outbox to the inventory, in seq order.

Only what the server acknowledged is marked sent, and only after the acknowledgement; a
crash between the two re-sends records the server already holds, which it answers as
duplicates. So a pusher killed at any moment and restarted ends with the server holding
exactly the bench's chain, with no duplicate and no gap.

A refused record blocks the ones after it (they would only be refused as a gap): the
pusher keeps retrying with capped backoff and shows the reason, since the usual causes
(a key not approved yet, a server being upgraded) resolve without touching the journal.
One refusal it repairs itself: a gap *before* the first pending record means the server
lost records it had acknowledged (restored from an older backup); they are sent again
from the journal, once per drain.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from station.errors import SyncError
from station.journal.chain import decode_payload
from station.journal.holding import JournalHeld
from station.journal.store import Journal, OutboxItem
from station.sync.backoff import Backoff
from station.sync.client import InventoryClient, Pushed, RecordRefused, ServerUnreachable
from station.sync.network import network_present
from station.sync.state import SyncState

log = logging.getLogger(__name__)
# Silent unless the application configures logging: the CLI prints the error itself.
log.addHandler(logging.NullHandler())
DEFAULT_BATCH = 200
IDLE_RECHECK_S = 30.0  # how often an idle pusher looks for records nobody woke it for


@dataclass(frozen=True)
class DrainSummary:
    sent: int
    duplicates: int
    pending: int
    error: str | None = None
    resent: int = 0  # acknowledged records sent again because the server had lost them


class Pusher:
    def __init__(
        self,
        journal: Journal,
        client: InventoryClient,
        state: SyncState | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        backoff: Backoff | None = None,
        idle_recheck_s: float = IDLE_RECHECK_S,
    ) -> None:
        self.journal = journal
        self.client = client
        self.state = state or SyncState(server=client.base_url)
        self.batch_size = max(1, batch_size)
        self.backoff = backoff or Backoff()
        self.idle_recheck_s = idle_recheck_s
        self._batches = True  # False once the server says it has no batch endpoint
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one drain ---------------------------------------------------------------------

    def drain_once(self) -> DrainSummary:
        """Push every pending record, oldest first, until none is left or one fails.

        Never raises SyncError: the failure is in the summary, the state and the outbox.
        """
        sent = duplicates = resent = 0
        repaired = False  # the server's lost records are sent again at most once per drain
        while not self._stop.is_set():
            items = self.journal.pending(self.batch_size)
            if not items:
                break
            pushed, failure = self._push(items)
            if pushed:
                # One transaction (one disk sync) per batch, and only after the answer.
                self.journal.mark_sent_many([result.record_id for result in pushed])
                sent += len(pushed)
                duplicates += sum(1 for p in pushed if p.duplicate)
                self.state.succeeded(len(pushed), self.journal.pending_count())
            lost_from = _lost_from(*failure) if failure is not None and not repaired else None
            if failure is not None and lost_from is not None:
                repaired = True
                resent, failure = self._resend(lost_from, failure[0].seq)
                if failure is None:
                    continue
            if failure is not None:
                return self._failed(*failure, sent, duplicates, resent)
        pending = self.journal.pending_count()
        if sent == 0:
            self.state.set_pending(pending)
            if self.state.snapshot().online is not True:
                # Nothing to send yet: still tell the bench whether the server is there,
                # so the badge says « en ligne » or why not before the first record.
                error = self._check_health(pending)
                if error is not None:
                    return DrainSummary(0, 0, pending, error)
        return DrainSummary(sent, duplicates, pending, resent=resent)

    def _check_health(self, pending: int) -> str | None:
        try:
            self.client.health()
        except SyncError as exc:
            unreachable = isinstance(exc, ServerUnreachable)
            self.state.failed(
                exc.one_line(),
                online=not unreachable,
                pending=pending,
                network=network_present() if unreachable else True,
                french=exc.one_line_in("fr"),
            )
            return exc.one_line()
        self.state.reachable()
        return None

    def _resend(self, first: int, stop: int) -> tuple[int, tuple[OutboxItem, SyncError] | None]:
        """Send again the acknowledged records seq first..stop-1, from the journal."""
        chain = self.journal.export_chain()[first - 1 : stop - 1]
        items = [OutboxItem(first + i, str(decode_payload(e).get("record_id")), e)
                 for i, e in enumerate(chain)]  # fmt: skip
        log.warning("sync: the inventory lost seq %d..%d; sending them again", first, stop - 1)
        done = 0
        while done < len(items):
            # An empty answer without failure means a 413: the batch was halved, try again.
            pushed, failure = self._push(items[done : done + self.batch_size])
            done += len(pushed)
            if failure is not None:
                return done, failure
        return done, None

    def _push(
        self, items: list[OutboxItem]
    ) -> tuple[list[Pushed], tuple[OutboxItem, SyncError] | None]:
        """What the server acknowledged, and the record it refused (with why), if any."""
        if self._batches and len(items) > 1:
            try:
                return self.client.push_batch(items), None
            except RecordRefused as exc:
                if exc.status in (404, 405):
                    log.info("the inventory has no batch endpoint; sending one by one")
                    self._batches = False
                elif exc.status == 413:
                    self.batch_size = max(1, self.batch_size // 2)
                    return [], None
                else:
                    at = exc.index if exc.index is not None and exc.index < len(items) else 0
                    return [], (items[at], exc)
            except SyncError as exc:
                return [], (items[0], exc)
        pushed: list[Pushed] = []
        for item in items:
            try:
                pushed.append(self.client.push(item))
            except SyncError as exc:
                return pushed, (item, exc)
        return pushed, None

    def _failed(
        self, where: OutboxItem, exc: SyncError, sent: int, dups: int, resent: int = 0
    ) -> DrainSummary:
        error = f"seq {where.seq}: {exc.one_line()}"
        if isinstance(exc, RecordRefused) and exc.expected_seq is not None:
            error += f" (the inventory expects seq {exc.expected_seq})"
        self.journal.note_failure(where.record_id, error)
        pending = self.journal.pending_count()
        unreachable = isinstance(exc, ServerUnreachable)
        self.state.failed(
            error,
            online=not unreachable,
            pending=pending,
            network=network_present() if unreachable else True,
            french=exc.one_line_in("fr"),  # the badge is short: the seq is in the logs
        )
        log.warning("sync: %s", error)
        return DrainSummary(sent, dups, pending, error, resent)

    # -- background thread -------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="station-sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New records were appended: push them now rather than at the next recheck."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Ask the thread to stop after the request in flight; True if it has stopped."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                summary = self.drain_once()
            except JournalHeld:
                # The stick is out: nothing to read until it is back (the screen says so);
                # the next wake (or recheck) after its return sends what waits.
                log.info("sync waits: the Station stick is out")
                summary = DrainSummary(0, 0, 0, None)
            except Exception as exc:  # a journal error must not kill sync for the session
                log.exception("sync: unexpected error")
                self.state.failed(
                    f"{type(exc).__name__}: {exc}",
                    online=False,
                    pending=self.state.snapshot().pending,
                    french="erreur interne de l'envoi (voir logs/station.log)",
                )
                summary = DrainSummary(0, 0, -1, str(exc))
            if summary.error is None:
                self.backoff.reset()
                self._wake.wait(self.idle_recheck_s)
            else:
                # New records do not cut a backoff short: the server is what we wait for.
                self._stop.wait(self.backoff.next_delay())


def _lost_from(item: OutboxItem, exc: SyncError) -> int | None:
    """The first seq the server lacks though it acknowledged it (a gap before the first
    pending record), or None when the refusal is anything else."""
    if isinstance(exc, RecordRefused) and exc.code == "gap" and exc.expected_seq is not None:
        return exc.expected_seq if exc.expected_seq < item.seq else None
    return None
