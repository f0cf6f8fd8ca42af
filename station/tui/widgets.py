"""Small widgets shared by the screens: the key bar, the sync badge, the title line."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from station.sync.state import SyncSnapshot
from station.tui.i18n import _, language
from station.wiring import MediumState

KeyList = list[tuple[str, Callable[[], str]]]
KEY_NAMES: dict[str, Callable[[], str]] = {
    "enter": lambda: _("Enter"),
    "esc": lambda: _("Esc"),
    "tab": lambda: _("Tab"),
}


class KeyBar(Static):
    """The footer: every key of the screen with its word (no mouse, no icons)."""

    def __init__(self, keys: KeyList, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.keys = keys

    def on_mount(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        words = [f"{KEY_NAMES.get(key, lambda k=key: k)()} {label()}" for key, label in self.keys]
        self.update(pack(words, max(20, self.app.size.width - 1)))


def pack(words: list[str], width: int) -> str:
    """Lines of key labels, never splitting one key from its word."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 2 + len(word) <= width:
            lines[-1] += "  " + word
        else:
            lines.append(word)
    return "\n".join(lines)


class MediumBanner(Static):
    """A red line across the top while the stick holding the journal is out (or a
    stick that is not this bench's was put in): the trainee knows why nothing starts,
    and that putting it back loses nothing."""

    def __init__(self, state: Callable[[], MediumState], **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.state = state
        self.display = False  # takes no line until the stick is found missing

    def on_mount(self) -> None:
        self.check()
        self.set_interval(1.0, self.check)

    def check(self) -> None:
        state = self.state()
        if state is not MediumState.PRESENT:
            self.update(medium_text(state))
        self.display = state is not MediumState.PRESENT


class AlertLine(Static):
    """A line that takes no room until `text()` has something to say (asked every
    second), e.g. the journal's chain head found unreadable."""

    def __init__(self, text: Callable[[], str | None], **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]
        self.text = text
        self.display = False

    def on_mount(self) -> None:
        self.check()
        self.set_interval(1.0, self.check)

    def check(self) -> None:
        text = self.text()
        if text:
            self.update(text)
        self.display = bool(text)


def medium_text(state: MediumState) -> str:
    if state is MediumState.WRONG_STICK:
        return _("This is not this bench's Station stick: put the original back, nothing is lost")
    return _("Station stick removed: put it back, nothing is lost")


def sync_text(snapshot: SyncSnapshot) -> str:
    text = _("Sync:") + " " + snapshot.label().get(language())
    error = snapshot.error_in(language())
    if error:
        text += " · " + _("last error: {error}").format(error=error[:80])
    return text
