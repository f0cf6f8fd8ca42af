"""The supervisor's view: today's log of this bench (what, who, result, duration),
a filter by result, the sign-off (a signed record) and the sync badge."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from station.errors import StationError
from station.reports.daily_log import DailyLog, LogLine
from station.reports.wording import PARIS, day_text, duration, parse_utc
from station.tui.i18n import _, language
from station.tui.screens.dialogs import PromptScreen
from station.tui.slots import result_word
from station.tui.widgets import KeyBar, sync_text
from station.wiring import Services

FILTERS = ("all", "ok", "warnings", "failed")


def matches(line: LogLine, wanted: str) -> bool:
    if wanted == "all":
        return True
    if wanted == "failed":
        return line.result == "failed"
    if wanted == "warnings":
        return line.result == "cleared_with_warnings" or bool(line.failures)
    return line.result in ("purged", "cleared") and not line.failures


def filter_word(wanted: str) -> str:
    return {
        "all": _("all"),
        "ok": _("erased"),
        "warnings": _("with warnings"),
        "failed": _("failed"),
    }[wanted]


class SupervisorScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "next_filter", show=False),
        Binding("v", "sign_off", show=False),
        Binding("escape,b", "back", show=False),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.wanted = "all"
        self.daily: DailyLog | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title", markup=False)
        yield Static("", id="sync", markup=False)
        yield DataTable(id="log", cursor_type="row")
        yield Static("", id="summary", markup=False)
        yield Static("", id="notice", markup=False)
        yield KeyBar(
            [
                ("F", lambda: _("Filter")),
                ("V", lambda: _("Sign off the day")),
                ("esc", lambda: _("Back to the bench")),
                ("F2", lambda: _("Français")),
            ]
        )

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(2.0, self.refresh_sync)

    def relabel(self) -> None:
        self.draw()
        for bar_widget in self.query(KeyBar):
            bar_widget.relabel()

    def refresh_sync(self) -> None:
        self.query_one("#sync", Static).update(sync_text(self.services.sync_state.snapshot()))

    def reload(self) -> None:
        try:
            self.daily = self.services.daily_log()
        except StationError as exc:
            self.daily = None
            self.query_one("#notice", Static).update(exc.one_line())
        self.draw()

    def draw(self) -> None:
        day = self.services.today()
        self.query_one("#title", Static).update(
            _("Supervisor · {bench} · log of {day}").format(
                bench=self.services.bench.title.get(language()), day=day_text(day)
            )
        )
        self.refresh_sync()
        table = self.query_one("#log", DataTable)
        table.clear(columns=True)
        heads = (_("Time"), _("What"), _("Who"), _("Result"), _("Duration"))
        for head, width in zip(heads, (5, 24, 13, 16, 11), strict=True):
            table.add_column(head, width=width)
        lines = [ln for ln in (self.daily.lines if self.daily else []) if matches(ln, self.wanted)]
        for line in lines:
            start = parse_utc(line.started_at).astimezone(PARIS).strftime("%H:%M")
            what = " ".join(x for x in (line.machine, line.disk or line.serial) if x)
            table.add_row(
                Text(start),
                Text(what[:24] or "-"),
                Text(", ".join(line.operators)[:13]),
                Text(result_word(line.result) + (" !" if line.failures else "")),
                Text(duration(line.duration_s, language())),
            )
        self.query_one("#summary", Static).update(self.summary(len(lines)))

    def summary(self, shown: int) -> str:
        log = self.daily
        text = _("Filter: {word} · {shown} shown").format(
            word=filter_word(self.wanted), shown=shown
        )
        if log is None:
            return text
        text += " · " + _("{failed} failed").format(failed=log.failures)
        if log.signoff is not None:
            signed = parse_utc(log.signoff.signed_at).astimezone(PARIS).strftime("%H:%M")
            text += " · " + _("signed by {who} at {time}").format(
                who=log.signoff.supervisor, time=signed
            )
        else:
            text += " · " + _("not signed yet")
        return text

    def action_next_filter(self) -> None:
        self.wanted = FILTERS[(FILTERS.index(self.wanted) + 1) % len(FILTERS)]
        self.draw()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_sign_off(self) -> None:
        supervisors = self.services.bench.supervisors

        def check(value: str) -> str | None:
            if supervisors and value not in supervisors:
                return _("Only a supervisor of this bench can sign ({names}).").format(
                    names=", ".join(supervisors)
                )
            return None if value else _("Type your id.")

        def signed(supervisor: str | None) -> None:
            if not supervisor:
                return
            try:
                record = self.services.sign_off(supervisor)
            except StationError as exc:
                self.query_one("#notice", Static).update(exc.one_line())
                return
            self.query_one("#notice", Static).update(
                _("Day signed: signed record no. {seq}.").format(seq=record.seq)
            )
            self.reload()

        self.app.push_screen(
            PromptScreen(
                _("Sign off the day"),
                _("Your supervisor id (or scan your badge) signs today's log of this bench."),
                check,
            ),
            signed,
        )
