"""The supervisor signs the day: id (typed or badge), secret, an optional comment.
Nothing says which ids are supervisors; a wrong id or secret gets one answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from station.tui.i18n import _
from station.tui.widgets import KeyBar


class SignOffRefused(Exception):
    """The text to show when the day was not signed."""


@dataclass(frozen=True)
class SignOffAnswer:
    code: str  # id or badge, as typed or scanned
    secret: str
    comment: str | None


class SignOffScreen(ModalScreen[str | None]):
    """Enter goes to the next field; Enter on the comment signs; Escape cancels.
    `attempt` signs and returns what to say (dismissed with it), or raises
    SignOffRefused with the error to show (the screen stays, the secret emptied)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, replaces: str | None, attempt: Callable[[SignOffAnswer], str]) -> None:
        super().__init__()
        self.replaces = replaces
        self.attempt = attempt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Sign off the day"), id="dialog-title")
            if self.replaces:
                yield Static(self.replaces, id="replaces", classes="error", markup=False)
            yield Static(_("Your id, or scan your badge:"))
            yield Input(id="who", max_length=64)
            yield Static(_("Your secret code:"))
            yield Input(id="secret", password=True, max_length=128)
            yield Static(_("Comment (optional):"))
            yield Input(id="comment", max_length=200)
            yield Static("", id="error", classes="error", markup=False)
        yield KeyBar(
            [
                ("enter", lambda: _("next / sign")),
                ("tab", lambda: _("field")),
                ("esc", lambda: _("cancel")),
            ]
        )

    @on(Input.Submitted, "#who")
    def _who(self) -> None:
        self.query_one("#secret", Input).focus()

    @on(Input.Submitted, "#secret")
    def _secret(self) -> None:
        self.query_one("#comment", Input).focus()

    @on(Input.Submitted, "#comment")
    def _sign(self) -> None:
        code = self.query_one("#who", Input).value.strip()
        secret = self.query_one("#secret", Input).value
        if not code or not secret:
            self.show_error(_("Type your id and your secret code."))
            return
        comment = self.query_one("#comment", Input).value.strip() or None
        try:
            said = self.attempt(SignOffAnswer(code, secret, comment))
        except SignOffRefused as refused:
            self.show_error(str(refused))
            return
        self.dismiss(said)

    def show_error(self, text: str) -> None:
        """Shown after a refusal: the secret is emptied, the id kept."""
        self.query_one("#error", Static).update(text)
        self.query_one("#secret", Input).value = ""
        self.query_one("#who", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
