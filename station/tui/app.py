"""`StationApp(services)`: the bench TUI. It receives its services (station.wiring) and
never builds adapters itself; long work runs in worker threads that post messages."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from station.tui.i18n import language, set_language
from station.tui.screens.dashboard import DashboardScreen
from station.tui.screens.login import LoginScreen
from station.wiring import Services


class StationApp(App[None]):
    CSS_PATH = Path(__file__).parent / "station.tcss"
    TITLE = "Station"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "switch_language", show=False, priority=True),
        Binding("ctrl+q", "quit", show=False, priority=True),
    ]

    def __init__(self, services: Services, *, lang: str = "fr", operator: str | None = None):
        super().__init__()
        set_language(lang)
        self.services = services
        self.operator = operator

    def on_mount(self) -> None:
        self.services.start_sync()
        if self.operator is not None:
            self.push_screen(DashboardScreen(self.services, self.operator))
            return

        def identified(operator: str | None) -> None:
            self.operator = operator or "?"
            self.push_screen(DashboardScreen(self.services, self.operator))

        self.push_screen(LoginScreen(self.services.bench), identified)

    def on_unmount(self) -> None:
        self.services.stop_sync()

    async def action_quit(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen):
                screen.stop_all()
        await super().action_quit()

    def action_switch_language(self) -> None:
        set_language("en" if language() == "fr" else "fr")
        for screen in self.screen_stack:
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel()
            else:
                screen.refresh(recompose=True)
