"""Builds the real adapters from configuration, so front ends receive their services
instead of constructing them (architecture.md: "The app receives its services").

`Services` also decides real vs simulated bench, and the two switches are apart:
- STATION_SIMULATED_BENCH=1 (the demo, the tests) makes a SIMULATED bench: only the
  devices or image files of STATION_DEVICE_ALLOWLIST, with the bench profile's made-up
  identities, always labelled simulated (`AllowlistDiskSource`);
- otherwise the bench is real: every disk udev reports is listed and judged
  (`UdevDiskSource`); STATION_DEVICE_ALLOWLIST, when set, is then only a safety
  allow-list (e.g. a dock's slots): disks outside it are not offered, and the block
  layer refuses to open them anyway.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from station.applog import reopen_log_file
from station.bench_file import set_top_level
from station.devices import sysfs
from station.devices.console_font import on_linux_console, set_console_font
from station.devices.data_medium import DataMedium, data_medium_present
from station.devices.hostinfo import collect_host_facts
from station.devices.printer import send_to_printer
from station.devices.runner import Runner, SubprocessRunner
from station.devices.safety import TargetInspection, inspect_target
from station.devices.udev import Action, DiskEvent, DiskWatcher, Selection
from station.domain.bench_profile import BenchProfile, default_bench
from station.domain.disk import SlotMap
from station.domain.host import HostFacts, inventory_record
from station.domain.image_profile import ImageProfile
from station.domain.record import Grade, HostInventory, HostRef, disk_ref_of
from station.errors import CommandError, JournalError, StationError, UsageError
from station.imaging.profiles import load_image_profile
from station.jobs.checkpoint import CheckpointStore
from station.paths import bench_profile_path, data_dir
from station.reports.wording import PARIS
from station.sync.state import SyncState
from station.yamlfile import load_model

if TYPE_CHECKING:
    # Imported where used: the sequence (deploy, imaging, HTTP), reports, sync and
    # journal (SQLite, cryptography) modules are a third of Station's start under QEMU
    # TCG, and the first screen (who is working) needs none of them
    # (docs/live-image.md, "Boot time", fifth pass).
    from station.jobs.bench_sequence import SequenceOutcome, StageUpdate
    from station.jobs.function_session import FunctionSession
    from station.jobs.sanitize import UnfreezeChoice
    from station.journal.holding import HoldingJournal
    from station.journal.store import Journal, StoredRecord
    from station.reports.daily_log import DailyLog
    from station.sync.pusher import Pusher

FontChange = Literal["done", "not_console", "too_small"]

log = logging.getLogger(__name__)

ALLOWLIST_ENV = "STATION_DEVICE_ALLOWLIST"
SIMULATED_ENV = "STATION_SIMULATED_BENCH"
OnDiskEvent = Callable[[DiskEvent], None]


class MediumState(StrEnum):
    """Where the stick holding the journal is, as the screens say it."""

    PRESENT = "present"
    MISSING = "missing"  # pulled (or its storage failed): records are held
    WRONG_STICK = "wrong_stick"  # a stick came back that is not this bench's


@dataclass
class StickWatch:
    """The stick as a deploy reading its image from it sees it (StickWait of
    station.imaging.stick_source), through the screens' own `medium_state`, which also
    mounts the stick again and writes the held records when it is back."""

    state: Callable[[], MediumState]
    # A read fails a moment before the stick's node goes; on a loaded bench (ten disks
    # erasing, udev busy) that moment reached 5 s in the tests. A damaged stick still
    # there only fails its deploy this much later.
    settle_s: float = 15.0

    def gone(self) -> bool:
        deadline = time.monotonic() + self.settle_s
        while self.state() is MediumState.PRESENT:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.5)
        return True

    def wait_back(self, cancel: threading.Event | None) -> bool:
        while self.state() is not MediumState.PRESENT:
            if cancel is None:
                time.sleep(1.0)
            elif cancel.wait(1.0):
                return False
        return True


class DiskSource(Protocol):
    """Where the bench's disks come from: listed once, then followed live."""

    simulated: bool
    busy: set[str]

    def start(self, on_event: OnDiskEvent) -> list[TargetInspection]: ...
    def stop(self) -> None: ...
    def inspect(self, path: str) -> TargetInspection: ...


class UdevDiskSource:
    """The real bench: every whole disk udev (or the kernel) reports, judged for safety."""

    simulated = False

    def __init__(self, bench: BenchProfile, runner: Runner | None = None) -> None:
        self.slots = SlotMap(bench.slots)
        self.runner = runner
        self._watcher: DiskWatcher | None = None
        self.busy: set[str] = set()

    def start(self, on_event: OnDiskEvent) -> list[TargetInspection]:
        def admitted(event: DiskEvent) -> None:
            if _in_allowlist(event.name):
                on_event(event)

        self._watcher = DiskWatcher(admitted, Selection(), slots=self.slots, runner=self.runner)
        self.busy = self._watcher.busy
        return [i for i in self._watcher.start() if _in_allowlist(i.identity.name)]

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def inspect(self, path: str) -> TargetInspection:
        return inspect_target(path, slot_map=self.slots, runner=self.runner)


def allowlisted() -> list[str]:
    return [p for p in os.environ.get(ALLOWLIST_ENV, "").split(":") if p]


def simulated_bench() -> bool:
    """True only when asked for by name: a safety allow-list never makes a bench fake."""
    return os.environ.get(SIMULATED_ENV, "").lower() in ("1", "yes", "true")


def _in_allowlist(name: str) -> bool:
    """A kernel name the allow-list admits (every name when no allow-list is set)."""
    listed = allowlisted()
    return not listed or any(Path(p).name == name for p in listed)


class AllowlistDiskSource:
    """SIMULATED bench (demo, tests): only the devices or image files named in
    STATION_DEVICE_ALLOWLIST, each shown with the demo identity the bench profile gives
    its backing file. Loop devices are followed live; plain files are listed once."""

    simulated = True
    RECHECKS = 20  # a loop device may announce itself before it is allowlisted

    def __init__(self, bench: BenchProfile, runner: Runner | None = None) -> None:
        self.bench = bench
        self.runner = runner
        self.slots = SlotMap(bench.slots)
        self.busy: set[str] = set()
        self._watcher: DiskWatcher | None = None

    def _allowed(self, name: str) -> bool:
        return bool(allowlisted()) and _in_allowlist(name)

    def start(self, on_event: OnDiskEvent) -> list[TargetInspection]:
        def filtered(event: DiskEvent, tries: int = 0) -> None:
            if self._allowed(event.name):
                on_event(self._view(event))
            elif event.action is not Action.REMOVE and tries < self.RECHECKS:
                threading.Timer(0.1, filtered, (event, tries + 1)).start()

        # The watcher numbers every loop device it sees; slots here count only ours.
        self._watcher = DiskWatcher(filtered, Selection(include_loop=True), runner=self.runner)
        self.busy = self._watcher.busy
        listed = [i for i in self._watcher.start() if self._allowed(i.identity.name)]
        files = [p for p in allowlisted() if not p.startswith("/dev/") and Path(p).is_file()]
        listed += [self.inspect(p) for p in files]
        return [self._simulate(i) for i in listed]

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def inspect(self, path: str) -> TargetInspection:
        if path not in allowlisted():
            raise PermissionError(f"{path} is not on this simulated bench")
        return self._simulate(inspect_target(path, slot_map=self.slots, runner=self.runner))

    def _view(self, event: DiskEvent) -> DiskEvent:
        if event.inspection is None:
            return event
        return DiskEvent(event.action, event.name, self._simulate(event.inspection))

    def _simulate(self, inspection: TargetInspection) -> TargetInspection:
        ident = inspection.identity
        backing = sysfs.loop_backing_file(ident.name) if ident.name.startswith("loop") else None
        demo = self.bench.simulated(backing or ident.path)
        if demo is None:
            # Numbered after the simulated slots, among the allowlisted devices only.
            self.slots.assign([ident.path])
            slot = self.slots.slot_for(ident.path)
            offset = len(self.bench.simulated_disks)
            return inspection.model_copy(
                update={"identity": ident.with_slot(None if slot is None else slot + offset)}
            )
        fake = ident.model_copy(
            update={
                "model": demo.model,
                "serial": demo.serial,
                "media_kind": demo.media_kind,
                "slot": self.bench.simulated_disks.index(demo) + 1,
            }
        )
        return inspection.model_copy(update={"identity": fake})


@dataclass
class Services:
    data_dir: Path
    bench: BenchProfile = field(default_factory=default_bench)
    disk_source: DiskSource | None = None
    runner: Runner = field(default_factory=SubprocessRunner)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    image: tuple[ImageProfile, Path] | None = None
    bench_file: Path | None = None  # where the screen's settings are remembered
    data_medium: DataMedium | None = None  # the stick's data partition (tests give theirs)
    # Hold records in memory while the stick is out: only a front end that lives on and
    # follows the stick's return (the TUI) may; a command would exit with them unwritten.
    hold_records: bool = False
    _medium_state: MediumState = field(default=MediumState.PRESENT, init=False)
    _medium_lost: bool = field(default=False, init=False)
    _recovering: threading.Lock = field(default_factory=threading.Lock, init=False)

    @cached_property
    def checkpoints(self) -> CheckpointStore:
        return CheckpointStore(self.data_dir / "checkpoints")

    @cached_property
    def medium(self) -> DataMedium:
        return self.data_medium or DataMedium(self.data_dir, self.runner)

    @cached_property
    def journal(self) -> Journal:
        """The bench journal; the bench key is created on first use. Its records wait
        in memory while the stick is out (station.journal.holding)."""
        from station.journal.holding import HoldingJournal  # see TYPE_CHECKING
        from station.journal.keys import KEY_DIR_NAME, load_or_create_bench_key
        from station.journal.store import JOURNAL_FILE, Journal

        key = load_or_create_bench_key(self.data_dir / KEY_DIR_NAME)
        path = self.data_dir / JOURNAL_FILE
        journal = (
            Journal(path, key)
            if not self.hold_records
            else HoldingJournal(path, key, medium_present=self.medium.present)
        )
        if self.bench.sync_each_record and self.bench.inventory_url:
            journal.after_append = self._push_now
        return journal

    def _push_now(self, records: list[StoredRecord]) -> None:
        """A journal in RAM: each record goes to the inventory as soon as it is written
        (what is refused stays in the outbox, and the pusher says why)."""
        if self._pusher is None:
            return
        summary = self._pusher.drain_once()
        if summary.error:
            log.warning("records not yet at the inventory (%s pending): %s",
                        summary.pending, summary.error)  # fmt: skip

    @cached_property
    def disks(self) -> DiskSource:
        if self.disk_source is not None:
            return self.disk_source
        source = AllowlistDiskSource if simulated_bench() else UdevDiskSource
        return source(self.bench, self.runner)

    @cached_property
    def functions(self) -> FunctionSession:
        """The functional tests of the machine Station runs on (the Tests step)."""
        from station.jobs.function_session import FunctionSession  # see TYPE_CHECKING

        return FunctionSession(
            self.journal, self.bench, self.runner, self.clock, host_facts=self.host_facts
        )

    def host_facts(self) -> HostFacts:
        """The computer Station runs on, read from the real tools. On the simulated bench
        of `make demo` its identity is the profile's made-up one (named by asset tag,
        never as firmware), so its tests, its erased disks and its fiche name one machine
        even where the firmware cannot be read (no root, a container)."""
        facts = collect_host_facts(self.runner)
        demo = self.bench.simulated_host
        if demo is None or not simulated_bench():
            return facts
        host = HostRef(
            manufacturer=demo.manufacturer,
            product=demo.product,
            asset_tag=demo.asset_tag,
            identified_by="asset_tag",
        )
        # Its disks are the simulated ones erased here (recorded with it), never the
        # developer's own, which the real tools just listed.
        return facts.model_copy(update={"host": host, "disks": []})

    @cached_property
    def sync_state(self) -> SyncState:
        return SyncState(server=self.bench.inventory_url)

    @cached_property
    def _pusher(self) -> Pusher | None:
        url = self.bench.inventory_url
        if not url:
            return None
        from station.sync.client import InventoryClient  # HTTP: see TYPE_CHECKING
        from station.sync.pusher import Pusher

        client = InventoryClient(url, key=self.journal.key.private_key, ca_file=self.inventory_ca)
        return Pusher(self.journal, client, self.sync_state)

    @property
    def inventory_ca(self) -> Path | None:
        """The bench profile's CA certificate, relative paths from the data folder."""
        if not self.bench.inventory_ca:
            return None
        return self.data_dir / self.bench.inventory_ca

    def start_sync(self) -> None:
        self.sync_state.set_pending(self.journal.pending_count())
        if self._pusher is not None:
            self._pusher.start()

    def stop_sync(self) -> None:
        if self._pusher is not None:
            self._pusher.stop(timeout=5.0)
        if "journal" in self.__dict__:  # only a journal this session opened
            self.checkpoint_journal()

    def wake_sync(self) -> None:
        try:
            self.sync_state.set_pending(self.journal.pending_count())
        except StationError as exc:  # the stick is out: the count waits for it
            log.info("pending records not counted: %s", exc.one_line())
            return
        if self._pusher is not None:
            self._pusher.wake()

    def data_medium_present(self) -> bool:
        """True when work can be recorded: the stick is there and nothing is held."""
        return self.medium_state() is MediumState.PRESENT

    def medium_state(self) -> MediumState:
        """Where the stick holding the journal is (the screens ask every second). Once
        it went missing, each call tries in the background to put it back to use: mount
        it again, check it is this bench's, write the held records."""
        journal = self._holding_journal()
        out = not self.medium.present() or (journal is not None and journal.holding)
        if out and not self._medium_lost:
            log.warning("Station stick out: new work waits, records are held")
            self.medium.lost()
            if journal is not None:
                journal.mark_lost()
            self._medium_lost = True
            self._medium_state = MediumState.MISSING
        if self._medium_lost and self._recovering.acquire(blocking=False):
            threading.Thread(target=self._recover, name="stick-back", daemon=True).start()
        return self._medium_state

    def chain_head_unreadable(self) -> bool:
        """The chain head beside the key is there but cannot be read: the supervisor
        must look (station.journal.head). Not asked of a stick that is out (every read
        fails then)."""
        if not self.data_medium_present():
            return False
        from station.journal.head import HEAD_FILE, HeadUnreadable, read_head
        from station.journal.keys import KEY_DIR_NAME

        try:
            read_head(self.data_dir / KEY_DIR_NAME / HEAD_FILE)
        except HeadUnreadable:
            return True
        return False

    def _holding_journal(self) -> HoldingJournal | None:
        """The journal this session opened, when it can hold records for the stick."""
        journal = self.__dict__.get("journal")
        if journal is None:  # not opened yet: its modules need not be imported either
            return None
        from station.journal.holding import HoldingJournal  # see TYPE_CHECKING

        return journal if isinstance(journal, HoldingJournal) else None

    def held_count(self) -> int:
        """How many records wait in memory for the stick (lost if Station stops now)."""
        journal = self._holding_journal()
        return journal.held_count() if journal is not None else 0

    def held_records(self, record_ids: list[str]) -> bool:
        """Some of these records wait in memory for the stick."""
        journal = self._holding_journal()
        return journal is not None and not journal.held_ids().isdisjoint(record_ids)

    def _recover(self) -> None:
        from station.journal.holding import HoldingJournal, WrongStick  # see TYPE_CHECKING

        try:
            if self.medium.still_refused():
                return
            device = self.medium.remount() if self.medium.managed else ""
            if device is None:
                self._medium_state = MediumState.MISSING
                return
            try:
                journal = self.journal
                written = journal.resume() if isinstance(journal, HoldingJournal) else 0
            except WrongStick as exc:
                log.warning("stick refused: %s", exc.one_line())
                if device:
                    self.medium.refuse(device)
                self._medium_state = MediumState.WRONG_STICK
                return
            reopen_log_file()  # the open log file was on the stick's old mount
            log.info("Station stick back (%s): %d held record(s) written", device, written)
            self._medium_lost = False
            self._medium_state = MediumState.PRESENT
            self.wake_sync()
        except StationError as exc:  # not readable yet: the next look tries again
            log.info("Station stick not back yet: %s", exc.one_line())
        finally:
            self._recovering.release()

    def today(self) -> date:
        return self.clock().astimezone(PARIS).date()

    def needs_asset_tag(self) -> bool:
        """The bench's image names each computer after its asset tag (hostname)."""
        return self.image is not None and self.image[0].post_deploy.hostname_from_asset_tag

    def recondition(
        self,
        target: str,
        operator: str,
        on_update: Callable[[StageUpdate], None],
        cancel: threading.Event,
        asset_tag: str | None = None,
        ask_unfreeze: Callable[[], UnfreezeChoice] | None = None,
    ) -> SequenceOutcome:
        """The bench profile's sequence on one disk (run from a worker thread).

        The wipe profile follows the disk's media kind (bench_profile.wipe_by_media):
        flash gets the drive's own Purge, a hard disk the overwrite Clear."""
        from station.jobs.bench_sequence import SequenceRequest, Stage, run_sequence
        from station.jobs.profiles import load_wipe_profile

        kind = self.disks.inspect(target).identity.media_kind
        request = SequenceRequest(
            target,
            load_wipe_profile(self.bench.wipe_profile_for(kind)),
            self.runner,
            self.disks.inspect,
            operator,
            image=self.image[0] if self.image else None,
            image_dir=self.image[1] if self.image else None,
            asset_tag=asset_tag,
            journal=self.journal,
            checkpoints=self.checkpoints,
            ask_unfreeze=ask_unfreeze,
            self_test=self.bench.smart_self_test,
            dock=self.bench.dock,
            stick=StickWatch(self.medium_state) if self.hold_records else None,
        )
        try:
            outcome = run_sequence(request, on_update, cancel)
            # An erased disk belongs on its machine's fiche even when a later step (the
            # image deploy) failed: the fiche then shows the erasure and the failure.
            if outcome.stage is Stage.DONE or (outcome.result is not None and outcome.result.ok):
                try:
                    self.record_host(target, asset_tag, operator)
                except StationError as exc:
                    # The disk is erased all the same: only its machine's label waits.
                    log.warning("no host record for %s: %s", target, exc.one_line())
            return outcome
        finally:
            self.checkpoint_journal()
            self.wake_sync()

    def record_host(self, target: str, asset_tag: str | None, operator: str) -> None:
        """The machine the disk goes into, so `station label` works from the screen:
        this machine's own firmware identity when Station boots on it (not a dock),
        else the operator's asset tag and the disk."""
        identity = self.disks.inspect(target).identity
        disk = disk_ref_of(identity, identity.path)
        now = self.clock()
        if not self.bench.dock:
            facts = self.host_facts()
            host = facts.host
            if asset_tag:
                host = host.model_copy(update={"asset_tag": asset_tag})
            facts = facts.model_copy(update={"host": host})
            body = inventory_record(facts, operator, now)
            if disk not in body.disks:
                body = body.model_copy(update={"disks": [*body.disks, disk]})
        elif asset_tag:
            body = HostInventory(
                created_at=now,
                operator=operator,
                host=HostRef(asset_tag=asset_tag, identified_by="asset_tag"),
                disks=[disk],
            )
        else:
            return  # a disk for an unnamed machine: nothing to label
        self.journal.append(body)

    def documents(self, target: str, asset_tag: str | None) -> Documents:
        """The disk's certificate and its machine's label as PDF files in the data
        folder, then on the bench's printer when its profile names one."""
        serial = self.disks.inspect(target).identity.serial or target
        folder = self.data_dir / "documents"
        folder.mkdir(parents=True, exist_ok=True)
        # PDF making (fpdf, fontTools, PIL, segno) is imported here, not with the module:
        # a tenth of Station's start under QEMU TCG, before the first screen, for
        # documents made minutes later.
        from station.reports.certificate import all_records, build_certificate
        from station.reports.certificate_pdf import certificate_pdf
        from station.reports.host_labels import host_key_of_disk, host_label
        from station.reports.labels import STOCKS, labels_pdf

        made = Documents()
        certificate = build_certificate(self.journal, serial)
        records = all_records(self.journal)
        made.certificate = folder / f"certificat-{_file_part(serial)}.pdf"
        write_whole(made.certificate, certificate_pdf(certificate, "fr"))
        # The machine by the tag scanned on the screen, else the one recorded with this
        # disk (its firmware serial, when Station boots on the machine itself).
        key = asset_tag or host_key_of_disk(records, serial)
        label = host_label(records, key, None) if key else None
        if label is not None:
            made.label = folder / f"etiquette-{_file_part(label.asset_tag)}.pdf"
            write_whole(made.label, labels_pdf([label], STOCKS["62x29"]))
        if self.bench.printer:
            for document in made.files():
                try:
                    send_to_printer(self.runner, self.bench.printer, document)
                except CommandError as exc:
                    made.print_error = exc.one_line()
                    break
            else:
                made.printed_on = self.bench.printer
        return made

    def override_grade(self, grade: str, who: str, secret: str, reason: str) -> Grade:
        """Another grade than the rules gave, by a supervisor who proves who they are
        (the same check as signing the day); a signed grade record naming them."""
        from station.reports.daily_sources import prove_supervisor

        supervisor = prove_supervisor(self.bench, who, secret)
        return self.functions.grade(supervisor, override=(grade, supervisor, reason))

    def fiche(self) -> Path:
        """The fiche de reconditionnement of this computer (its functional tests, grade
        and the erasure of its disks) as a PDF in the data folder's documents/."""
        host = self.functions.host
        key = host.serial or host.uuid or host.asset_tag
        if not key:
            raise UsageError(
                "this computer has no serial, UUID or asset tag to name its sheet",
                french="cet ordinateur n'a ni numéro de série, ni UUID, ni étiquette "
                "pour nommer sa fiche",
            )
        from station.reports.fiche import fiche_of, fiche_pdf  # PDF: see documents()

        folder = self.data_dir / "documents"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"fiche-{_file_part(key)}.pdf"
        write_whole(path, fiche_pdf(fiche_of(self.journal, key), "fr"))
        return path

    def remember(self, setting: str, value: bool) -> bool:
        """Keep a screen setting (large_text, high_contrast) in the bench profile, for
        the next start; False when the bench has no profile file to keep it in."""
        self.bench = self.bench.model_copy(update={setting: value})
        if self.bench_file is None:
            return False
        set_top_level(self.bench_file, setting, value)
        return True

    def console_font(self, large: bool) -> FontChange:
        """The large (or normal) console font: `not_console` in a terminal window,
        `too_small` when this panel shows no bigger text with the whole bench (80x25)."""
        if not on_linux_console():
            return "not_console"
        return "done" if set_console_font(self.runner, large) else "too_small"

    def checkpoint_journal(self) -> None:
        """Fold the journal's WAL into its file (end of a job, shutdown): a copy of
        journal.sqlite3 alone then holds every record. A failure (stick pulled) is only
        logged: the records are safe in the WAL, the next checkpoint folds them."""
        try:
            self.journal.checkpoint()
        except StationError as exc:
            log.warning("journal checkpoint failed: %s", exc.one_line())

    def daily_log(self, day: date | None = None) -> DailyLog:
        from station.reports.daily_sources import journal_daily_log

        return journal_daily_log(self.journal, day or self.today())

    def sign_off(
        self, code: str, secret: str | None, comment: str | None = None, day: date | None = None
    ) -> StoredRecord:
        """The day signed by the supervisor `code` (id or badge) names, once their secret
        matched the bench profile's hash; NotProven, and nothing written, otherwise."""
        from station.reports.daily_sources import prove_supervisor, sign_off

        supervisor = prove_supervisor(self.bench, code, secret)
        record = sign_off(self.journal, day or self.today(), supervisor, comment=comment)
        self.wake_sync()
        return record


@dataclass
class Documents:
    """What `Services.documents` made, and whether the printer took them."""

    certificate: Path | None = None
    label: Path | None = None
    printed_on: str | None = None
    print_error: str | None = None

    def files(self) -> list[Path]:
        return [p for p in (self.certificate, self.label) if p is not None]


def _file_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:64] or "sans-nom"


def write_whole(path: Path, data: bytes) -> None:
    """Written beside then renamed: a printer never gets half a PDF."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def load_bench(path: Path | None) -> BenchProfile:
    if path is None:
        return default_bench()
    return load_model(path, BenchProfile)


def load_bench_image(bench: BenchProfile) -> tuple[ImageProfile, Path] | None:
    """The bench's image profile, or None when it names none (shown "not configured")."""
    if not bench.image_profile:
        return None
    return load_image_profile(bench.image_profile)


def require_stick() -> None:
    """Refuse, before any device work, a command whose records would have no journal:
    the stick holding it was pulled (a command cannot wait for it as the screen does)."""
    if not data_medium_present():
        raise JournalError(
            "the Station stick (its data partition holds the journal and the bench key) was "
            "removed: put it back and start again; nothing was done",
            french="la clé Station (le journal et la clé du banc sont dessus) a été retirée. "
            "Remettez-la puis recommencez ; rien n'a été fait",
        )


def command_services() -> Services:
    """For a command that signs records (wipe, deploy, smart): this bench's profile when
    it has one (banc.yaml, STATION_BENCH_PROFILE), so a classroom laptop's records go to
    the inventory as they are written; its image profile is not loaded."""
    return Services(data_dir=data_dir(), bench=load_bench(bench_profile_path()))


def build_services(folder: Path | None = None, bench_file: Path | None = None) -> Services:
    bench = load_bench(bench_file)
    return Services(
        data_dir=folder or data_dir(),
        bench=bench,
        image=load_bench_image(bench),
        bench_file=bench_file,
    )
