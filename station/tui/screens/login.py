"""Who is at the bench: a pseudonymous id chosen from the bench profile's list, or a
badge scanned by a keyboard-wedge reader (it types the code and presses Enter)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from station.domain.bench_profile import BenchProfile
from station.tui.i18n import _
from station.tui.widgets import KeyBar, MediumBanner
from station.wiring import MediumState


def operator_from(code: str, bench: BenchProfile) -> str | None:
    """The operator a typed id or a scanned badge names, or None when unknown."""
    return bench.identify(code)


class LoginScreen(Screen[str | None]):
    """Nobody is chosen without being chosen: Enter on an empty field takes the id the
    arrows picked, never a default. `cancellable` (O on the bench): Escape keeps the
    current operator; at start-up there is nobody to keep, so Escape does nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "focus_next", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "cancel", show=False),
    ]

    def __init__(
        self,
        bench: BenchProfile,
        medium_state: Callable[[], MediumState] = lambda: MediumState.PRESENT,
        *,
        cancellable: bool = False,
    ) -> None:
        super().__init__()
        self.bench = bench
        self.medium_state = medium_state
        self.cancellable = cancellable

    def compose(self) -> ComposeResult:
        yield MediumBanner(self.medium_state, id="medium")
        yield Static(_("Station: who is working at this bench?"), id="title")
        with Vertical(classes="dialog"):
            yield Static(_("Choose your id with the arrows and press Enter,"))
            yield Static(_("or scan your badge, or type your id and press Enter."))
            yield OptionList(*self.bench.operators, id="operators")
            yield Input(id="badge", placeholder=_("badge or id"))
            yield Static("", id="error", classes="error")
        keys = [
            ("↑↓", lambda: _("choose")),
            ("enter", lambda: _("confirm")),
            ("tab", lambda: _("badge / list")),
        ]
        if self.cancellable:
            keys.append(("esc", lambda: _("cancel")))
        yield KeyBar([*keys, ("F2", lambda: _("Français"))])

    def on_mount(self) -> None:
        self.query_one("#operators", OptionList).highlighted = None
        self.query_one("#badge", Input).focus()

    def action_cancel(self) -> None:
        if self.cancellable:
            self.dismiss(None)

    @on(OptionList.OptionSelected, "#operators")
    def chosen_in_list(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.prompt))

    def action_move(self, step: int) -> None:
        """Arrows choose in the list while the badge field keeps the focus, so a badge
        scan (the reader types, then presses Enter) always lands in the field."""
        options = self.query_one("#operators", OptionList)
        current = options.highlighted
        options.highlighted = (
            0 if current is None else max(0, min(options.option_count - 1, current + step))
        )

    @on(Input.Submitted, "#badge")
    def typed_or_scanned(self, event: Input.Submitted) -> None:
        options = self.query_one("#operators", OptionList)
        if not event.value.strip():
            if options.highlighted is None:
                self.query_one("#error", Static).update(
                    _("Choose your id with the arrows first, or type it.")
                )
                return
            self.dismiss(str(options.get_option_at_index(options.highlighted).prompt))
            return
        operator = operator_from(event.value, self.bench)
        if operator is None:
            self.query_one("#error", Static).update(
                _("Unknown id or badge.") + "\n" + _("Ask the supervisor to add it.")
            )
            event.input.value = ""
            options.highlighted = None
            return
        self.dismiss(operator)
