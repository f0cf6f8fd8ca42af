"""The supervisor's view: today's log of this bench (what, who, result, duration),
a filter by result, the sign-off (a signed record) and the sync badge."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from station.errors import NotProven, StationError
from station.reports.daily_log import DailyLog, LogLine
from station.reports.wording import PARIS, day_text, duration, parse_utc
from station.tui.i18n import _, language, plural
from station.tui.screens.dialogs import TextScreen
from station.tui.screens.signoff import SignOffAnswer, SignOffRefused, SignOffScreen
from station.tui.slots import result_word
from station.tui.widgets import KeyBar, sync_text
from station.wiring import Services

FILTERS = ("all", "ok", "warnings", "stopped", "failed")


def line_result(line: LogLine) -> str | None:
    """The line's result, with an erase stopped on request apart from a failure."""
    return "cancelled" if line.stopped else line.result


def matches(line: LogLine, wanted: str) -> bool:
    result = line_result(line)
    if wanted == "all":
        return True
    if wanted == "ok":
        return result in ("purged", "cleared") and not line.failures
    if wanted == "warnings":
        return result == "cleared_with_warnings"
    return result == {"stopped": "cancelled"}.get(wanted, wanted)


def filter_word(wanted: str) -> str:
    return {
        "all": _("all"),
        "ok": _("erased"),
        "warnings": _("with warnings"),
        "stopped": _("stopped"),
        "failed": _("failed"),
    }[wanted]


def line_details(line: LogLine) -> list[str]:
    """What the supervisor reads on opening a line: the reasons behind its result."""
    lang = language()
    start = parse_utc(line.started_at).astimezone(PARIS).strftime("%H:%M")
    end = parse_utc(line.ended_at).astimezone(PARIS).strftime("%H:%M")
    out = [
        _("{start} to {end} · {who}").format(start=start, end=end, who=", ".join(line.operators)),
        _("Machine: {name}").format(name=line.machine or "-"),
        _("Disk: {name}, serial {serial}").format(
            name=line.disk or "-", serial=line.serial or _("none")
        ),
        _("Result: {word}").format(word=result_word(line_result(line))),
    ]
    if line.stopped and line.result in ("purged", "cleared", "cleared_with_warnings"):
        out.append(_("Stopped on request: erased, but not finished. Start it again."))
    elif line.stopped:
        out.append(_("Stopped on request: not erased. Start it again."))
    if line.failures:
        out.append(_("Reasons:"))
        out += [f"- {reason.get(lang)}" for reason in line.failures]
    elif line.result == "failed" and not line.stopped:
        out.append(_("No reason recorded: open the certificate."))
    if line.tests:
        out.append(_("Functional tests:"))
        out += [f"- {note.get(lang)}" for note in line.tests]
    out.append(_("Records: {seqs}").format(seqs=", ".join(str(s) for s in line.seqs)))
    return out


class SupervisorScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "next_filter", show=False),
        Binding("v", "sign_off", show=False),
        Binding("escape,b", "back", show=False),
        Binding("enter", "open_line", show=False, priority=True),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.wanted = "all"
        self.daily: DailyLog | None = None
        self.shown: list[LogLine] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="title", markup=False)
        yield Static("", id="sync", markup=False)
        yield DataTable(id="log", cursor_type="row")
        yield Static("", id="summary", markup=False)
        yield Static("", id="notice", markup=False)
        yield KeyBar(
            [
                ("enter", lambda: _("Open")),
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
        self.shown = lines
        for line in lines:
            start = parse_utc(line.started_at).astimezone(PARIS).strftime("%H:%M")
            what = " ".join(x for x in (line.machine, line.disk or line.serial) if x)
            table.add_row(
                Text(start),
                Text(what[:24] or "-"),
                Text(", ".join(line.operators)[:13]),
                Text(
                    result_word(line_result(line))
                    + (" !" if line.failures and not line.stopped else "")
                ),
                Text(duration(line.duration_s, language())),
            )
        self.query_one("#summary", Static).update(self.summary(len(lines)))

    def summary(self, shown: int) -> str:
        log = self.daily
        text = _("Filter: {word}").format(word=filter_word(self.wanted))
        text += " · " + plural(shown, _("{n} line shown"), _("{n} lines shown"))
        if log is None:
            return text
        text += " · " + plural(log.failures, _("{n} failure"), _("{n} failures"))
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

    def action_open_line(self) -> None:
        table = self.query_one("#log", DataTable)
        if not self.shown or table.cursor_row >= len(self.shown):
            self.query_one("#notice", Static).update(_("No line to open."))
            return
        line = self.shown[table.cursor_row]
        self.app.push_screen(TextScreen(_("Log line"), line_details(line)))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_sign_off(self) -> None:
        self.app.push_screen(SignOffScreen(self.replaces(), self.attempt_sign_off), self.signed)

    def replaces(self) -> str | None:
        """What a new sign-off replaces, said before anyone signs."""
        old = self.daily.signoff if self.daily else None
        if old is None:
            return None
        time = parse_utc(old.signed_at).astimezone(PARIS).strftime("%H:%M")
        return _("Already signed by {who} at {time}. Signing again replaces it.").format(
            who=old.supervisor, time=time
        )

    def attempt_sign_off(self, answer: SignOffAnswer) -> str:
        try:
            record = self.services.sign_off(answer.code, answer.secret, answer.comment)
        except NotProven:
            raise SignOffRefused(_("Wrong id or secret code: nothing was signed.")) from None
        except StationError as exc:
            raise SignOffRefused(exc.one_line()) from exc
        return _("Day signed: signed record no. {seq}.").format(seq=record.seq)

    def signed(self, said: str | None) -> None:
        if said:
            self.query_one("#notice", Static).update(said)
            self.reload()
