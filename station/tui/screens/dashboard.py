"""The bench: one row per disk, live with udev, and the trainee's few keys."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import RowKey

from station.devices.udev import Action, DiskEvent
from station.domain.text import LocalizedText
from station.errors import StationError
from station.imaging.post_deploy import hostname_for
from station.jobs.bench_sequence import Stage, StageUpdate, Stop, StopReason
from station.jobs.sanitize import UnfreezeChoice
from station.reports.wording import PARIS
from station.tui.batch_summary import batch_lines
from station.tui.i18n import _, language, plural
from station.tui.messages import DiskChanged, SequenceCrashed, SequenceFinished, StageChanged
from station.tui.screens.dialogs import (
    BatchConfirmScreen,
    ConfirmScreen,
    PromptScreen,
    TextScreen,
    UnfreezeScreen,
    WhyScreen,
)
from station.tui.screens.function_tests import FunctionTestsScreen
from station.tui.screens.login import LoginScreen
from station.tui.screens.supervisor import SupervisorScreen
from station.tui.slots import (
    DiskRow,
    bar,
    disk_label,
    eta_text,
    human_size,
    media_word,
    rate_text,
    smart_word,
    stage_word,
)
from station.tui.widgets import AlertLine, KeyBar, MediumBanner, sync_text
from station.wiring import Documents, Services

COLUMNS = ("slot", "disk", "size", "smart", "state", "progress")


def documents_text(made: Documents) -> str:
    """Where the PDFs are, and whether the printer took them: one idea per line."""
    lines = []
    if made.certificate:
        lines.append(_("Certificate: {path}").format(path=made.certificate))
    if made.label:
        lines.append(_("Label: {path}").format(path=made.label))
    else:
        lines.append(_("No label: scan the asset tag (E) first."))
    if made.printed_on:
        lines.append(_("Sent to the printer {name}.").format(name=made.printed_on))
    elif made.print_error:
        lines.append(_("Not printed: {error}").format(error=made.print_error))
    return "\n".join(lines)


def paris_text(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


class DashboardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "recondition", show=False),
        Binding("t", "run_all", show=False),
        Binding("a", "stop", show=False),
        Binding("p,question_mark", "why", show=False),
        Binding("e", "asset_tag", show=False),
        Binding("s", "supervisor", show=False),
        Binding("o", "change_operator", show=False),
        Binding("c", "documents", show=False),
        Binding("f", "function_tests", show=False),
    ]

    def __init__(self, services: Services, operator: str) -> None:
        super().__init__()
        self.services = services
        self.operator = operator
        self.rows: dict[str, DiskRow] = {}
        self.cancels: dict[str, Stop] = {}
        self.batch_paths: set[str] = set()
        self.batch_summary_shown = False
        # (path, label) of the disks stopped because the operator quits
        self.quitting: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield MediumBanner(self.services.medium_state, id="medium")
        yield AlertLine(self.head_alert, id="head")
        yield Static("", id="title", markup=False)
        yield Static("", id="sync", markup=False)
        yield DataTable(id="disks", cursor_type="row", zebra_stripes=False)
        yield Static("", id="summary", markup=False)
        yield Static("", id="notice", markup=False)
        yield KeyBar(
            [
                ("R", lambda: _("Recondition")),
                ("T", lambda: _("Run all")),
                ("A", lambda: _("Stop")),
                ("P", lambda: _("Why?")),
                ("E", lambda: _("Asset tag")),
                ("S", lambda: _("Supervisor")),
                ("O", lambda: _("Operator")),
                ("C", lambda: _("Certificate")),
                ("F", lambda: _("Tests")),
                ("F2", lambda: _("Français")),
                ("F3", lambda: _("Large text")),
                ("F4", lambda: _("Contrast")),
                ("^Q", lambda: _("Quit")),
            ]
        )

    def head_alert(self) -> str | None:
        """Records are still kept, but deleting the last ones would go unseen until the
        supervisor saves a new head (station.journal.head)."""
        if not self.services.chain_head_unreadable():
            return None
        return _("Journal head unreadable: tell the supervisor (station journal reseal-head)")

    def on_mount(self) -> None:
        for inspection in self.services.disks.start(self.post_message_from_source):
            self.rows[inspection.identity.path] = DiskRow(inspection)
        self.rebuild()
        self.set_interval(1.0, self.refresh_status)

    def post_message_from_source(self, event: DiskEvent) -> None:
        # Called from the watcher's thread: post_message is thread-safe.
        self.post_message(DiskChanged(event))

    def on_unmount(self) -> None:
        self.stop_all()
        self.services.disks.stop()

    def working_labels(self) -> list[str]:
        """The disks in work, as the quit question and the exit message name them."""
        return [disk_label(self.rows[p]) for p in self.cancels if p in self.rows]

    def quit_after_stopping(self) -> None:
        """Stop every disk in work; the app exits once each has recorded its stop."""
        self.quitting = [(p, disk_label(self.rows[p])) for p in self.cancels if p in self.rows]
        self.notice(_("Stopping the disks in work, then quitting…"))
        self.stop_all("quit")

    def _exit_if_quitting(self) -> None:
        if self.quitting and not self.cancels:
            lines = [_("Station was quit. These disks were stopped before the end:")]
            for path, label in self.quitting:
                row = self.rows.get(path)
                state = (
                    _("erased, but no image")
                    if row is not None and row.erased_when_stopped
                    else _("NOT erased")
                )
                lines.append(f"  - {label}: {state}")
            lines.append(_("Start them again (R) to finish them."))
            self.app.exit(message="\n".join(lines))

    def stop_all(self, by: StopReason = "quit") -> None:
        """Quitting stops every running sequence (it ends "cancelled", recorded as
        such); a worker thread cannot be killed and would keep the process alive."""
        for cancel in self.cancels.values():
            cancel.request(by)

    # -- drawing ---------------------------------------------------------------------

    def relabel(self) -> None:
        self.notice("")
        self.rebuild()
        for bar_widget in self.query(KeyBar):
            bar_widget.relabel()

    def refresh_status(self) -> None:
        bench = self.services.bench
        simulated = _(" (SIMULATED)") if self.services.disks.simulated else ""
        title = _("{bench}{sim} · operator {op} · {when}").format(
            bench=bench.title.get(language()),
            sim=simulated,
            op=self.operator,
            when=paris_text(self.services.clock()),
        )
        self.query_one("#title", Static).update(title)
        image = self.services.image
        image_text = (
            _("image: {name}").format(name=image[0].name) if image else _("image: not configured")
        )
        sync = sync_text(self.services.sync_state.snapshot())
        self.query_one("#sync", Static).update(f"{sync} · {image_text}")
        self.query_one("#summary", Static).update(self.summary())
        self.resume_paused()

    def resume_paused(self) -> None:
        """A disk whose records waited for the stick ends on its true state once they
        are written on it."""
        for row in [r for r in self.rows.values() if r.paused]:
            assert row.outcome is not None
            if not self.services.held_records(row.outcome.record_ids):
                row.paused = False
                self.redraw(row)
                self.notice(
                    _("Slot {slot}: records written on the stick; {state}.").format(
                        slot=row.inspection.identity.slot or "-", state=stage_word(row)
                    )
                )

    def summary(self) -> str:
        rows = [r for r in self.rows.values() if not r.on_hold]
        paused = len(self.rows) - len(rows)
        done = sum(r.stage is Stage.DONE for r in rows)
        parts = [
            plural(len(self.rows), _("{n} disk"), _("{n} disks")),
            plural(sum(r.busy for r in rows), _("{n} disk working"), _("{n} disks working")),
            plural(done, _("{n} disk done"), _("{n} disks done")),
        ]
        stopped = sum(r.stage is Stage.CANCELLED for r in rows)
        if stopped:
            parts.append(plural(stopped, _("{n} disk stopped"), _("{n} disks stopped")))
        if paused:
            parts.append(plural(paused, _("{n} disk paused"), _("{n} disks paused")))
        failed = sum(r.stage is Stage.FAILED for r in rows)
        parts.append(plural(failed, _("{n} failure"), _("{n} failures")))
        batch = [self.rows[p] for p in self.batch_paths if p in self.rows]
        if batch:
            # A disk's progress only grows (stages are weighted); an ended disk counts
            # whole, whatever its end: stopped and failed ones are counted apart above.
            total = sum(1.0 if r.stage.final else r.progress for r in batch) / len(batch)
            parts.append(_("batch {pct}%").format(pct=f"{total * 100:.0f}"))
        return " · ".join(parts)

    def installed(self, row: DiskRow) -> tuple[str, str] | None:
        """(image, computer name) when this row's sequence deployed the bench's image."""
        if not (row.outcome and row.outcome.deployed and self.services.image):
            return None
        computer = _("name kept")
        if row.asset_tag and self.services.needs_asset_tag():
            try:
                computer = hostname_for(row.asset_tag)
            except StationError:
                computer = row.asset_tag
        return self.services.image[0].name, computer

    def cells(self, row: DiskRow) -> list[Text]:
        ident = row.inspection.identity
        progress = bar(row.progress) if row.busy or row.stage is Stage.DONE else ""
        speed = " ".join(t for t in (rate_text(row.rate_bps), eta_text(row.eta_s)) if t)
        word = stage_word(row)
        state = [word + "\n" if len(word) <= 16 and row.asset_tag else word]
        if row.asset_tag:
            state.append(_("tag {tag}").format(tag=row.asset_tag))
        installed = self.installed(row)
        if installed is not None:
            image, computer = installed
            speed = _("image {name}").format(name=image)
            speed += "\n" + _("name {computer}").format(computer=computer)
        return [
            Text(str(ident.slot or "-")),
            Text(f"{(ident.model or _('unknown model'))[:19]}\n{(ident.serial or '-')[:19]}"),
            Text(f"{human_size(ident.size_bytes)}\n{media_word(row)}"),
            Text(smart_word(row.smart)),
            Text("\n".join(state)),
            Text(f"{progress}\n{speed}"),
        ]

    def rebuild(self) -> None:
        table = self.query_one("#disks", DataTable)
        selected = self.selected()
        table.clear(columns=True)
        widths = (3, 19, 7, 5, 16, 16)  # with the cell padding: 78 of 80 columns
        heads = (_("No."), _("Disk"), _("Size"), _("SMART"), _("State"), _("Progress"))
        for key, head, width in zip(COLUMNS, heads, widths, strict=True):
            table.add_column(head, key=key, width=width)
        ordered = sorted(
            self.rows.values(), key=lambda r: (r.inspection.identity.slot or 10**6, r.path)
        )
        for row in ordered:
            table.add_row(*self.cells(row), key=row.path, height=self.row_height(row))
        if selected is not None and selected.path in self.rows:
            table.move_cursor(row=table.get_row_index(selected.path))
        self.refresh_status()

    def row_height(self, row: DiskRow) -> int:
        """A third line once there is a tag or an installed image to show: the state
        word itself may take two lines of its column."""
        return 3 if row.asset_tag or self.installed(row) is not None else 2

    def redraw(self, row: DiskRow) -> None:
        table = self.query_one("#disks", DataTable)
        if table.rows[RowKey(row.path)].height != self.row_height(row):
            self.rebuild()  # a finished deploy adds a line: DataTable fixes row heights
            return
        for key, cell in zip(COLUMNS, self.cells(row), strict=True):
            table.update_cell(row.path, key, cell)
        self.query_one("#summary", Static).update(self.summary())

    def selected(self) -> DiskRow | None:
        table = self.query_one("#disks", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(str(key))

    def notice(self, text: str) -> None:
        self.query_one("#notice", Static).update(text)

    # -- events from the watcher and the workers ---------------------------------------

    def on_disk_changed(self, message: DiskChanged) -> None:
        event = message.event
        if event.action is Action.REMOVE:
            for row in [r for r in self.rows.values() if r.name == event.name]:
                if row.busy:
                    row.removed = True
                    self.notice(_("A disk was unplugged while in work: see its result."))
                else:
                    del self.rows[row.path]
            self.rebuild()
            return
        assert event.inspection is not None
        path = event.inspection.identity.path
        current = self.rows.get(path)
        if current is not None and (current.busy or current.outcome is not None):
            current.inspection = event.inspection  # keep its work and its result
        else:
            self.rows[path] = DiskRow(event.inspection)
        self.rebuild()

    def on_stage_changed(self, message: StageChanged) -> None:
        row = self.rows.get(message.update.target)
        if row is not None and not row.stage.final:
            if message.update.unstoppable and not row.unstoppable:
                # Said as it starts: from now on the drive finishes on its own.
                self.notice(
                    _(
                        "Slot {slot}: the drive's own purge has started. It cannot be "
                        "stopped, not even by unplugging: leave the disk connected."
                    ).format(slot=row.inspection.identity.slot or "-")
                )
            row.apply(message.update)
            self.redraw(row)

    def on_sequence_finished(self, message: SequenceFinished) -> None:
        self._finished(message.target)
        row = self.rows.get(message.target)
        if row is not None:
            # The job's own outcome stands (a disk pulled out fails its writes or its
            # read-back); the row adds that it was unplugged.
            row.finish(message.outcome)
            # Its records wait in memory for the stick: not ended until they are on it.
            row.paused = self.services.held_records(message.outcome.record_ids)
            self.redraw(row)
            self.notice(
                _("Slot {slot}: {state}. P explains.").format(
                    slot=row.inspection.identity.slot or "-", state=stage_word(row)
                )
            )
            self.app.bell()
        self.batch_summary_if_over()

    def on_sequence_crashed(self, message: SequenceCrashed) -> None:
        self._finished(message.target)
        row = self.rows.get(message.target)
        if row is not None:
            row.stage = Stage.FAILED
            row.notes.append(LocalizedText(fr=message.error, en=message.error))
            self.redraw(row)
        # The traceback is in the technical log (jobs.bench_sequence); the trainee gets
        # what to do, the P panel keeps the technical line for the supervisor.
        self.notice(_("Unexpected error on this disk: call the supervisor."))
        self.app.bell()
        self.batch_summary_if_over()

    def batch_summary_if_over(self) -> None:
        """When the last disk of a batch ends, the batch ends on its summary."""
        batch = [self.rows[p] for p in sorted(self.batch_paths) if p in self.rows]
        if not batch or not all(r.stage.final for r in batch) or self.quitting:
            return
        if self.batch_summary_shown:
            return
        self.batch_summary_shown = True
        image = self.services.image[0].name if self.services.image else None

        def closed(_none: None) -> None:
            # The batch's percentage stays on the bottom line until the summary is read.
            self.batch_paths = set()
            self.batch_summary_shown = False
            self.refresh_status()

        self.app.push_screen(TextScreen(_("End of the batch"), batch_lines(batch, image)), closed)

    def _finished(self, path: str) -> None:
        self.cancels.pop(path, None)
        row = self.rows.get(path)
        if row is not None:
            self.services.disks.busy.discard(row.name)
        self._exit_if_quitting()

    # -- actions -----------------------------------------------------------------------

    def medium_missing(self) -> bool:
        """The journal's stick is out: new work waits for it (nothing is started, so
        nothing can end without its record)."""
        if self.services.data_medium_present():
            return False
        self.notice(
            _("The Station stick is out: work waits until it is back (nothing was written).")
        )
        return True

    def action_recondition(self) -> None:
        if self.medium_missing():
            return
        row = self.selected()
        if row is None:
            self.notice(_("No disk on the bench."))
            return
        if not row.eligible:
            self.notice(_("This disk cannot be started now: press P to know why."))
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.start(row)
            else:
                self.notice(_("Cancelled: nothing was written."))

        if self.services.needs_asset_tag() and not row.asset_tag:
            # The image names the computer after its label: scan it before anything runs.
            def scanned(tag: str | None) -> None:
                if not tag:
                    self.notice(_("Cancelled: nothing was written."))
                    return
                row.asset_tag = tag
                self.app.push_screen(ConfirmScreen(row), confirmed)

            self.app.push_screen(self.asset_tag_prompt(), scanned)
            return
        self.app.push_screen(ConfirmScreen(row), confirmed)

    def action_run_all(self) -> None:
        if self.medium_missing():
            return
        ready = [
            r
            for r in self.rows.values()
            if r.eligible and r.stage in (Stage.WAITING, Stage.CANCELLED)
        ]
        if not ready:
            self.notice(_("No disk is waiting to be reconditioned."))
            return
        untagged = [r for r in ready if not r.asset_tag]
        if self.services.needs_asset_tag() and untagged:
            slots = ", ".join(str(r.inspection.identity.slot or "-") for r in untagged)
            self.notice(
                _("Scan the asset tag (E) of each computer first; missing: slot {slots}.").format(
                    slots=slots
                )
            )
            return

        def confirmed(ok: bool | None) -> None:
            if not ok:
                self.notice(_("Cancelled: nothing was written."))
                return
            self.batch_paths = {r.path for r in ready}
            for row in ready:
                self.start(row)

        self.app.push_screen(BatchConfirmScreen(ready), confirmed)

    def start(self, row: DiskRow) -> None:
        cancel = Stop()
        self.cancels[row.path] = cancel
        self.services.disks.busy.add(row.name)
        row.start(with_image=self.services.image is not None)
        self.redraw(row)
        self.notice(_("Slot {slot}: started.").format(slot=row.inspection.identity.slot or "-"))
        self.run_sequence(row.path, row.asset_tag, self.operator, cancel)

    # One thread per disk, all in parallel (not exclusive); an error marks the disk
    # failed (SequenceCrashed) instead of closing the app.
    @work(thread=True, group="sequence", exit_on_error=False)
    def run_sequence(
        self, path: str, asset_tag: str | None, operator: str, cancel: threading.Event
    ) -> None:
        """The bench sequence of one disk, in a worker thread: it only calls the
        services and posts messages to the screen."""
        try:
            outcome = self.services.recondition(
                path,
                operator,
                self.post_progress,
                cancel,
                asset_tag,
                ask_unfreeze=partial(self.ask_unfreeze, path, cancel),
            )
        except Exception as exc:
            self.post_message(SequenceCrashed(path, f"{type(exc).__name__}: {exc}"))
            raise
        self.post_message(SequenceFinished(path, outcome))

    def post_progress(self, update: StageUpdate) -> None:
        """From the worker thread: post_message is thread-safe."""
        self.post_message(StageChanged(update))

    def ask_unfreeze(self, path: str, cancel: threading.Event) -> UnfreezeChoice:
        """From the worker thread: ask on the screen and wait for the answer (a cancel
        while waiting means no purge)."""
        answer: Future[UnfreezeChoice] = Future()

        def show() -> None:
            ident = self.rows[path].inspection.identity
            label = f"{ident.name}: {ident.model or '?'} {ident.serial or ''}"
            self.app.push_screen(
                UnfreezeScreen(label), lambda choice: answer.set_result(choice or "skip")
            )
            self.app.bell()  # the bench needs someone: a person must choose

        self.app.call_from_thread(show)
        while True:
            try:
                choice = answer.result(timeout=0.5)
            except TimeoutError:
                if cancel.is_set():
                    return "skip"
                continue
            return choice if choice in ("suspend", "replugged") else "skip"

    def action_stop(self) -> None:
        row = self.selected()
        if row is None or row.path not in self.cancels:
            self.notice(_("This disk is not in work."))
            return
        self.cancels[row.path].request("stop_key")
        if row.unstoppable:
            self.notice(
                _(
                    "The drive is purging itself: nothing can stop that, it ends on its "
                    "own (unplugged, it resumes when plugged in again). Station stops "
                    "right after it."
                )
            )
            return
        self.notice(_("Stopping after the current block…"))

    def action_why(self) -> None:
        row = self.selected()
        if row is None:
            self.notice(_("No disk on the bench."))
            return
        self.app.push_screen(WhyScreen(row))

    def action_asset_tag(self) -> None:
        row = self.selected()
        if row is None:
            return

        def scanned(tag: str | None) -> None:
            if tag:
                row.asset_tag = tag
                self.redraw(row)
                if row.stage is Stage.DONE:
                    self.record_host(row.path, tag)  # so its label can be printed
                self.notice(
                    _("Asset tag {tag} noted for slot {slot}.").format(
                        tag=tag, slot=row.inspection.identity.slot or "-"
                    )
                )

        self.app.push_screen(self.asset_tag_prompt(), scanned)

    def asset_tag_prompt(self) -> PromptScreen:
        bench = self.services.bench
        example = bench.asset_tag_example

        def check(tag: str) -> str | None:
            if not tag:
                return _("Nothing was scanned.")
            if bench.tag_accepted(tag):
                return None
            refused = _("This is not an asset tag of this workshop.")
            if example:
                return refused + "\n" + _("Example: {example}").format(example=example)
            return refused

        hint = _("Scan the label of the computer this disk goes into, or type it.")
        if example:
            hint += "\n" + _("Example: {example}").format(example=example)
        return PromptScreen(_("Asset tag"), hint, check)

    def action_documents(self) -> None:
        row = self.selected()
        if row is None or row.stage is not Stage.DONE:
            self.notice(_("Certificates are for finished disks only."))
            return
        self.notice(_("Writing the certificate and the label…"))
        self.make_documents(row.path, row.asset_tag)

    @work(thread=True, group="documents", exit_on_error=False)
    def record_host(self, path: str, asset_tag: str) -> None:
        try:
            self.services.record_host(path, asset_tag, self.operator)
        except StationError as exc:
            self.app.call_from_thread(self.notice, exc.one_line())

    @work(thread=True, group="documents", exit_on_error=False)
    def make_documents(self, path: str, asset_tag: str | None) -> None:
        """PDFs (and printing) take seconds on an old laptop: off the screen's thread."""
        try:
            made = self.services.documents(path, asset_tag)
        except StationError as exc:
            self.app.call_from_thread(
                self.notice, _("No certificate: {error}").format(error=exc.one_line())
            )
            return
        self.app.call_from_thread(self.notice, documents_text(made))

    def action_function_tests(self) -> None:
        """F: the functional tests of this computer and its grade (docs/functional-tests.md)."""
        if self.services.bench.dock:
            self.notice(_("This bench is a dock: the tests are for the computer Station runs on."))
            return
        tests = FunctionTestsScreen(
            self.services.functions,
            self.operator,
            self.services.fiche,
            self.services.override_grade,
        )
        self.app.push_screen(tests)

    def action_supervisor(self) -> None:
        self.app.push_screen(SupervisorScreen(self.services))

    def action_change_operator(self) -> None:
        if self.cancels:
            self.notice(_("Wait until every disk is finished to change operator."))
            return

        def chosen(operator: str | None) -> None:
            if operator:
                self.operator = operator
                self.refresh_status()
                self.notice(_("Operator: {op}.").format(op=operator))
            else:
                self.notice(_("Operator unchanged: {op}.").format(op=self.operator))

        login = LoginScreen(self.services.bench, self.services.medium_state, cancellable=True)
        self.app.push_screen(login, chosen)
