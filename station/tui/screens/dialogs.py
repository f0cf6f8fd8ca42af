"""Modal dialogs: the typed serial confirmation, the batch confirmation, the
"Pourquoi ?" panel and a one-line prompt (asset tag, supervisor id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from station.jobs.bench_sequence import Stage
from station.jobs.sanitize import UnfreezeChoice
from station.tui.i18n import _
from station.tui.slots import DiskRow, human_size, media_word, result_word
from station.tui.why import explain
from station.tui.widgets import KeyBar


def confirmation_code(row: DiskRow) -> str:
    """What the trainee types: the last four characters of the serial on the label
    (the kernel name when a disk has no serial at all)."""
    ident = row.inspection.identity
    return (ident.serial or ident.name)[-4:].upper()


class TypedConfirmScreen(ModalScreen[bool]):
    """A confirmation that is typed, never a single key: `expected` is what must be
    typed back; anything else says so and starts nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def expected(self) -> str:
        raise NotImplementedError

    def accepts(self, typed: str) -> bool:
        return typed == self.expected()

    def mismatch(self) -> str:
        raise NotImplementedError

    def lines(self) -> list[str]:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            for index, line in enumerate(self.lines()):
                yield Static(line, markup=False, id="dialog-title" if index == 0 else None)
            yield Input(id="typed", max_length=64)
            yield Static("", id="error", classes="error")
        yield KeyBar([("enter", lambda: _("confirm")), ("esc", lambda: _("cancel"))])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.accepts(event.value.strip().upper()):
            self.dismiss(True)
            return
        self.query_one("#error", Static).update(self.mismatch())
        event.input.value = ""

    def action_cancel(self) -> None:
        self.dismiss(False)


class ConfirmScreen(TypedConfirmScreen):
    """Nothing destructive starts before the last four characters of the serial match."""

    def __init__(self, row: DiskRow) -> None:
        super().__init__()
        self.row = row

    def expected(self) -> str:
        return confirmation_code(self.row)

    def accepts(self, typed: str) -> bool:
        # A barcode reader scanning the label types the whole serial: that matches too.
        serial = (self.row.inspection.identity.serial or "").upper()
        return typed == self.expected() or (bool(serial) and typed == serial)

    def mismatch(self) -> str:
        return _("That does not match: nothing was written. Check the label and try again.")

    def lines(self) -> list[str]:
        ident = self.row.inspection.identity
        return [
            _("Recondition this disk?"),
            _("Slot {slot}: {model}, {size}, {media}").format(
                slot=ident.slot or "-",
                model=ident.model or _("unknown model"),
                size=human_size(ident.size_bytes),
                media=media_word(self.row),
            ),
            _("Serial number: {serial}").format(serial=ident.serial or _("none")),
            _("Asset tag: {tag}").format(tag=self.row.asset_tag)
            if self.row.asset_tag
            else _("Asset tag: none"),
            *self.already_done(),
            _("EVERYTHING on this disk will be erased. This cannot be undone."),
            _("Type the last 4 characters of the serial printed on the drive's label:"),
        ]

    def already_done(self) -> list[str]:
        """R on a disk already erased: said before anything is typed."""
        outcome = self.row.outcome
        if self.row.stage is not Stage.DONE or outcome is None or outcome.result is None:
            return []
        return [
            _("Warning: this disk is ALREADY erased ({result}).").format(
                result=result_word(outcome.result)
            ),
            _("Do it again only if the supervisor asks."),
        ]


class BatchConfirmScreen(TypedConfirmScreen):
    """One confirmation for the whole class: the list, then the count typed back."""

    SHOWN = 12

    def __init__(self, rows: list[DiskRow]) -> None:
        super().__init__()
        self.rows = rows

    def expected(self) -> str:
        return str(len(self.rows))

    def mismatch(self) -> str:
        return _("That is not the number of disks listed: nothing was started.")

    def lines(self) -> list[str]:
        listed = [
            f"  {r.inspection.identity.slot or '-':>2}  "
            f"{(r.asset_tag or '-')[:12]:<12} "
            f"{(r.inspection.identity.model or '')[:20]:<20} "
            f"{(r.inspection.identity.serial or '-')[:14]:<14} "
            f"{human_size(r.inspection.identity.size_bytes)}"
            for r in self.rows[: self.SHOWN]
        ]
        if len(self.rows) > self.SHOWN:
            listed.append(_("  … and {n} more").format(n=len(self.rows) - self.SHOWN))
        return [
            _("Recondition every eligible disk?"),
            *listed,
            _("EVERYTHING on these disks will be erased."),
            _("Type the number of disks listed ({n}) to start:").format(n=len(self.rows)),
        ]


class TextScreen(ModalScreen[None]):
    """A panel of plain lines; Escape, Enter or P closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", show=False),
        Binding("enter", "close", show=False),
        Binding("p", "close", show=False),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.text_lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(self.title_text, id="dialog-title", markup=False)
            for line in self.text_lines:
                yield Static(line, markup=False)
        yield KeyBar([("esc", lambda: _("close"))])

    def action_close(self) -> None:
        self.dismiss(None)


class WhyScreen(TextScreen):
    """ "Pourquoi ?": the state of one disk in plain words."""

    def __init__(self, row: DiskRow) -> None:
        super().__init__(_("Why?"), explain(row))
        self.row = row

    def relabel(self) -> None:
        self.title_text, self.text_lines = _("Why?"), explain(self.row)
        self.refresh(recompose=True)


class QuitScreen(ModalScreen[bool]):
    """Quitting while disks are in work: the safe answer is the default (stay)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o,y", "quit", show=False),
        Binding("escape,enter,n", "stay", show=False),
    ]

    def __init__(self, working: list[str]) -> None:
        super().__init__()
        self.working = working

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Quit Station?"), id="dialog-title")
            yield Static(_("These disks are in work:"))
            for label in self.working:
                yield Static(f"- {label}", markup=False)
            yield Static(_("If you quit, they stop before the end."))
            yield Static(_("A disk not yet erased will NOT be erased."))
            yield Static(_("O: quit and stop them."))
            yield Static(_("Enter or Esc: stay."))
        yield KeyBar([("O", lambda: _("quit")), ("enter", lambda: _("stay"))])

    def action_quit(self) -> None:
        self.dismiss(True)

    def action_stay(self) -> None:
        self.dismiss(False)


class PromptScreen(ModalScreen[str | None]):
    """One line of input (typed, or scanned by a keyboard-wedge reader: the reader types
    the code and presses Enter). `check` returns an error text, or None when valid."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(
        self, title: str, hint: str, check: Callable[[str], str | None] = lambda _v: None
    ) -> None:
        super().__init__()
        self.title_text, self.hint, self.check = title, hint, check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, id="dialog-title")
            yield Static(self.hint)
            yield Input(id="value", max_length=64)
            yield Static("", id="error", classes="error")
        yield KeyBar([("enter", lambda: _("confirm")), ("esc", lambda: _("cancel"))])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        error = self.check(value)
        if error:
            self.query_one("#error", Static).update(error)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class UnfreezeScreen(ModalScreen[UnfreezeChoice]):
    """A drive the BIOS froze cannot purge itself (its security commands are locked
    until a power cycle): the operator chooses to suspend the bench for 5 seconds,
    to say the drive was replugged, or to go on without a purge (Clear)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "suspend", show=False),
        Binding("r", "replugged", show=False),
        Binding("escape", "skip", show=False),
        Binding("enter", "skip", show=False),
    ]

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Frozen drive"), id="dialog-title")
            yield Static(self.label, markup=False)
            yield Static(
                _("The computer locked this drive's erase commands at start-up."), markup=False
            )
            yield Static(_("S: put the bench to sleep for 5 seconds, which unlocks it"))
            yield Static(_("R: I unplugged the drive and plugged it back in"))
            yield Static(_("Enter: no purge, overwrite the drive instead"))
        yield KeyBar(
            [
                ("s", lambda: _("sleep 5 s")),
                ("r", lambda: _("replugged")),
                ("enter", lambda: _("overwrite")),
            ]
        )

    def action_suspend(self) -> None:
        self.dismiss("suspend")

    def action_replugged(self) -> None:
        self.dismiss("replugged")

    def action_skip(self) -> None:
        self.dismiss("skip")
