"""`StationApp(services)`: the bench TUI. It receives its services (station.wiring) and
never builds adapters itself; long work runs in worker threads that post messages."""

from __future__ import annotations

import importlib
import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from station.errors import StationError
from station.tui.i18n import _, language, set_language
from station.tui.screens.login import LoginScreen
from station.wiring import Services

if TYPE_CHECKING:
    from station.tui.screens.dashboard import DashboardScreen

# The bench screen and what it pulls in (the sequence, deploy, imaging, dialogs, the
# tests screen): ~450 modules, seconds under QEMU TCG. The first screen (who is
# working) needs none of them: they are imported once it is drawn, while the trainee
# reads it (docs/live-image.md, "Boot time", fifth pass).
DASHBOARD_MODULE = "station.tui.screens.dashboard"


def stylesheets(term: str | None = None) -> list[str | PurePath]:
    """Station's stylesheet, plus the Linux console's where TERM says so (the stick)."""
    here = Path(__file__).parent
    sheets: list[str | PurePath] = [here / "station.tcss"]
    if (term if term is not None else os.environ.get("TERM", "")) == "linux":
        sheets.append(here / "linux-console.tcss")
    return sheets


SETTING_ACTIONS = ("switch_language", "large_text", "high_contrast")  # F2, F3, F4


class StationApp(App[None]):
    CSS_PATH = Path(__file__).parent / "station.tcss"
    TITLE = "Station"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "switch_language", show=False, priority=True),
        Binding("f3", "large_text", show=False, priority=True),
        Binding("f4", "high_contrast", show=False, priority=True),
        Binding("ctrl+q", "quit", show=False, priority=True),
    ]

    def __init__(self, services: Services, *, lang: str = "fr", operator: str | None = None):
        super().__init__(css_path=stylesheets())
        set_language(lang)
        self.services = services
        services.hold_records = True  # the screen waits for a pulled stick, then writes
        self.quit_despite_held = False  # Ctrl+Q pressed once already while records were held
        self.operator = operator

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the keyboard test listens, F2, F3 and F4 are keys to light on its map,
        not the language, font and contrast switches (the key then reaches the map)."""
        # Duck-typed, not isinstance: the tests screen's module is not imported before
        # the first screen is drawn (DASHBOARD_MODULE).
        listening = bool(getattr(self.screen, "listens_to_every_key", False))
        return not (action in SETTING_ACTIONS and listening)

    def on_mount(self) -> None:
        self.set_class(self.services.bench.high_contrast, "-high-contrast")
        if self.services.bench.large_text:
            self.apply_font(True)
        if self.operator is not None:
            self.services.start_sync()
            self.push_screen(self.bench_screen(self.operator))
            return

        def identified(operator: str | None) -> None:
            self.operator = operator or "?"
            self.push_screen(self.bench_screen(self.operator))

        login = LoginScreen(self.services.bench, self.services.medium_state)
        self.push_screen(login, identified)
        # Once the first screen is drawn: the journal (bench key, SQLite) and the
        # bench screen's modules, while the trainee reads it. Keys typed meanwhile wait
        # in the input queue; nothing is shown before it is true.
        self.call_after_refresh(self.after_first_screen)

    def after_first_screen(self) -> None:
        """The work the first screen does not need: the sync's start (it opens the
        journal) and the import of the bench screen's modules."""
        self.services.start_sync()
        importlib.import_module(DASHBOARD_MODULE)

    def bench_screen(self, operator: str) -> DashboardScreen:
        from station.tui.screens.dashboard import DashboardScreen  # see DASHBOARD_MODULE

        return DashboardScreen(self.services, operator)

    def on_unmount(self) -> None:
        self.services.stop_sync()

    def dashboard(self) -> DashboardScreen | None:
        from station.tui.screens.dashboard import DashboardScreen  # see DASHBOARD_MODULE

        return next((s for s in self.screen_stack if isinstance(s, DashboardScreen)), None)

    async def action_quit(self) -> None:
        """While disks are in work, quitting asks first (in the bench's language); if
        confirmed, each one is stopped, recorded as stopped, and the exit says which."""
        bench = self.dashboard()
        held = self.services.held_count()
        if held and not self.quit_despite_held:
            # Held records live in this process only: quitting now would lose them.
            self.quit_despite_held = True
            warning = _(
                "{n} records wait for the Station stick: put it back before quitting "
                "(Ctrl+Q again quits and loses them)."
            ).format(n=held)
            if bench is not None:
                bench.notice(warning)
            else:
                self.notify(warning)
            self.bell()
            return
        from station.tui.screens.dialogs import QuitScreen  # see DASHBOARD_MODULE

        if bench is None or not bench.cancels:
            await super().action_quit()
            return
        if isinstance(self.screen, QuitScreen):
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                bench.quit_after_stopping()

        self.push_screen(QuitScreen(bench.working_labels()), answered)

    def action_help_quit(self) -> None:
        """Ctrl+C: say in the bench's language how to quit (Textual's toast is English)."""
        self.notify(_("To quit, press Ctrl+Q."), title=_("Quit?"))

    def action_high_contrast(self) -> None:
        """F4: white on black, bold, no grey; kept in the bench profile."""
        on = not self.services.bench.high_contrast
        self.set_class(on, "-high-contrast")
        kept = self.services.remember("high_contrast", on)
        said = _("High contrast on.") if on else _("High contrast off.")
        self.notify(said if kept else said + " " + _("Not kept: no bench profile file."))

    def action_large_text(self) -> None:
        """F3: the big console font; kept in the bench profile for the next start."""
        on = not self.services.bench.large_text
        kept = self.services.remember("large_text", on)
        said = _("Large text on.") if on else _("Large text off.")
        if not kept:
            said += " " + _("Not kept: no bench profile file.")
        self.notify(said)
        self.apply_font(on)

    @work(thread=True, exit_on_error=False)
    def apply_font(self, large: bool) -> None:
        try:
            # A headless app (tests) draws on no screen: never the console it runs on.
            changed = "not_console" if self.is_headless else self.services.console_font(large)
        except StationError as exc:
            self.call_from_thread(
                self.notify, _("Font not changed: {error}").format(error=exc.one_line())
            )
            return
        if changed == "not_console":
            self.call_from_thread(
                self.notify, _("Large text works on the computer's own screen (console) only.")
            )
        elif changed == "too_small":
            self.call_from_thread(
                self.notify, _("This screen is too small for bigger text: the bench would not fit.")
            )

    def action_switch_language(self) -> None:
        set_language("en" if language() == "fr" else "fr")
        for screen in self.screen_stack:
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel()
            else:
                screen.refresh(recompose=True)
