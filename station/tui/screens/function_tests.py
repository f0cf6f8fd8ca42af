"""The "Tests" step: the laptop's functions, one question at a time, keyboard only.

Tests that need no person (storage, memory, camera, Wi-Fi) run by themselves first;
then the battery (charger out for the discharge measurement), the keyboard map, the
five colour screens, the sound, the ports and the checklist each ask one question:
O yes, N no (then what was seen), P skip (then why: a skip without a reason is
refused). Every answer is a signed function_test record as soon as it is given; the
end shows the grade the bench profile's rules give, with its reasons, and records it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Input, Static

from station.domain.function_tests import TestName, status_word, title
from station.domain.keyboard_layouts import NOT_CHECKABLE, KeyboardTally
from station.domain.record import FunctionTest, Grade, Measure
from station.errors import StationError
from station.jobs import function_checks as checks
from station.jobs.function_session import FunctionSession
from station.tui.i18n import _, language
from station.tui.keyboard_map import KeyboardMap
from station.tui.widgets import KeyBar

AUTOMATIC: tuple[TestName, ...] = ("storage", "memory", "camera", "wireless")
COLOURS = ("black", "white", "red", "green", "blue")
Mode = Literal["intro", "busy", "ask", "typing", "keyboard", "colour", "end", "override"]
Typing = Literal["observed", "reason"]
Override = Callable[[str, str, str, str], Grade]  # grade, supervisor id, secret, reason


def _measure_words() -> dict[str, str]:
    """What the trainee reads beside a question (the record keeps the field names)."""
    return {
        "native_resolution": _("native resolution"),
        "panel": _("panel"),
        "keys_never_pressed": _("keys never pressed"),
        "keys_repeating": _("keys repeating by themselves"),
        "not_checkable": _("not seen by the screen, try them by hand"),
        "device": _("sound card"),
        "microphone_peak_percent": _("microphone level (% of the loudest)"),
        "ethernet_ports": _("Ethernet ports"),
        "ethernet_link": _("Ethernet cable live on"),
        "ethernet_mbps": _("Ethernet speed (Mb/s)"),
        "usb_ports_seen": _("USB ports where a device was seen"),
        "usb_ports": _("which ports"),
    }


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _override_prompts() -> list[str]:
    return [
        _("The grade the supervisor gives:"),
        _("Supervisor: your id, or scan your badge:"),
        _("Your secret code:"),
        _("Why this grade? (it is recorded)"),
    ]


def _questions() -> dict[TestName, Callable[[], str]]:
    return {
        "battery": lambda: _(
            "Unplug the charger: the battery is measured for {minutes} min under load. "
            "Enter when it is unplugged."
        ),
        "keyboard": lambda: _("Did every key light up when pressed?"),
        "screen": lambda: _(
            "Was the screen perfect on the five colours (no dot, no stain, no light "
            "leaking at the edges)?"
        ),
        "audio": lambda: _("Did you hear the voice on the left, then on the right?"),
        "ports": lambda: _("Plug the USB stick into each USB port in turn. Did every port work?"),
        "pointer": lambda: _("Does the touchpad move the pointer and click (both buttons)?"),
        "webcam_led": lambda: _("Does the camera light come on when the camera is used?"),
        "case": lambda: _("Are the hinges firm and the case whole (no crack, no missing part)?"),
    }


PERSON_STEPS: tuple[TestName, ...] = (
    "battery",
    "keyboard",
    "screen",
    "audio",
    "ports",
    "pointer",
    "webcam_led",
    "case",
)


class FunctionTestsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(
        self,
        session: FunctionSession,
        operator: str,
        write_fiche: Callable[[], Path] | None = None,
        override: Override | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.write_fiche = write_fiche
        self.override = override
        self.override_answers: list[str] = []
        self.operator = operator
        self.mode: Mode = "intro"
        self.typing: Typing = "observed"
        self.step = -1
        self.colour = 0
        self.tally = KeyboardTally(session.bench.function_tests.keyboard_layout)
        self.measured: dict[str, Measure] = {}
        self.last_key: str | None = None
        self.busy_since = 0.0
        self.busy_most = 0.0
        self.usb_seen: list[str] = []
        self.stop_usb: Callable[[], None] | None = None

    # Layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="title", markup=False)
        yield Static("", id="body", markup=False)
        yield KeyboardMap(self.tally, id="keyboard")
        yield Input(id="typed", max_length=200)
        yield Static("", id="notice", markup=False)
        yield KeyBar([], id="keys")

    def on_unmount(self) -> None:
        self._stop_usb()

    def on_mount(self) -> None:
        self.show_intro()
        self.set_interval(1.0, self._tick)

    def _busy(self, most_seconds: float) -> None:
        """A long step starts: the notice line counts the time, up to its bound."""
        self.mode = "busy"
        self.busy_since = time.monotonic()
        self.busy_most = most_seconds

    def _tick(self) -> None:
        if self.mode != "busy" or self.busy_most <= 0:
            return
        elapsed = time.monotonic() - self.busy_since
        self.notice(
            _("Elapsed {elapsed} — {most} at most").format(
                elapsed=_clock(elapsed), most=_clock(self.busy_most)
            )
        )

    @property
    def listens_to_every_key(self) -> bool:
        """The keyboard map is up: every key, F2 to F4 included, is one to light."""
        return self.mode == "keyboard"

    @property
    def current(self) -> TestName:
        return PERSON_STEPS[self.step]

    def _show(
        self,
        body: str,
        keys: list[tuple[str, Callable[[], str]]],
        *,
        keyboard: bool = False,
        typed: bool = False,
    ) -> None:
        self.query_one("#title", Static).update(
            _("Tests of this computer — {operator}").format(operator=self.operator)
        )
        self.query_one("#body", Static).update(body)
        for shown in ("#title", "#body", "#notice", "#keys"):
            self.query_one(shown).display = True
        self.query_one("#keyboard").display = keyboard
        field = self.query_one("#typed", Input)
        field.display = typed
        if typed:
            field.value = ""
            field.focus()
        else:  # keys go to the screen's question, never into a hidden field
            self.set_focus(None)
        bar = self.query_one("#keys", KeyBar)
        bar.keys = keys
        bar.relabel()
        self.styles.background = "black"

    def notice(self, text: str) -> None:
        self.query_one("#notice", Static).update(text)

    # Intro and automatic tests -----------------------------------------------------
    def show_intro(self) -> None:
        self.mode = "intro"
        lines = [_("Each test ends with OK, defect, not tested (with why) or absent."), ""]
        done = self.session.results()
        for name in (*AUTOMATIC, *PERSON_STEPS):
            said = done.get(name)
            state = status_word(str(said["status"]), language()) if said else _("to do")
            lines.append(f"  {title(name, language())} : {state}")
        self._show("\n".join(lines), [("enter", lambda: _("start")), ("esc", lambda: _("back"))])

    def start_automatic(self) -> None:
        self._busy(self.session.bench.function_tests.memory_test_seconds + 120)
        self._show(
            _("Tests running by themselves (memory: up to {minutes} min)…").format(
                minutes=max(1, self.session.bench.function_tests.memory_test_seconds // 60)
            ),
            [],
        )
        self.run_automatic()

    @work(thread=True, exclusive=True, group="function-tests", exit_on_error=False)
    def run_automatic(self) -> None:
        lines: list[str] = []
        for test in AUTOMATIC:
            try:
                body = self.session.run_automatic(test, self.operator)
                lines.append(self._line(body))
            except StationError as exc:
                lines.append(f"  {title(test, language())} : {exc.one_line_in(language())}")
            self.app.call_from_thread(self.query_one("#body", Static).update, "\n".join(lines))
        self.app.call_from_thread(self.next_step)

    def _line(self, body: FunctionTest) -> str:
        detail = body.reason or "; ".join(body.defects) or body.observed or ""
        word = status_word(body.status, language())
        return f"  {title(body.test, language())} : {word}" + (f" — {detail}" if detail else "")

    # One question at a time ----------------------------------------------------------
    def next_step(self) -> None:
        self.step += 1
        self.measured = {}
        if self.step >= len(PERSON_STEPS):
            self.show_end()
            return
        self.mode = "ask"
        test = self.current
        if test == "keyboard":
            self.mode = "keyboard"
            self._show(
                self._keyboard_text(),
                [("F10 F10", lambda: _("end of the keyboard test"))],
                keyboard=True,
            )
            return
        if test == "screen":
            self.colour = -1
            self.mode = "colour"
            text = _(
                "Five colours will fill the screen. Look for dots, stains, light at the "
                "edges. Enter: next colour."
            )
            self._show(text, [("enter", lambda: _("start"))])
            return
        if test == "audio":
            self._busy(45)  # speaker-test and one second of microphone, both bounded
            self._show(_("Playing a sound on the speakers…"), [])
            self.play_sound()
            return
        if test == "ports":
            self.measured = self.session.ports()
            self.usb_seen = []
            self.stop_usb = self.session.watch_usb(self._usb_plugged)
            self.measured["usb_ports_seen"] = None if self.stop_usb is None else 0
        if test == "battery" and not self.session.power().batteries:
            self.done(self.session.battery(self.operator, measure=False))
            return
        self.ask()

    def ask(self) -> None:
        self.mode = "ask"
        question = _questions()[self.current]().format(
            minutes=round(self.session.bench.function_tests.discharge_seconds / 60, 1)
        )
        name = title(self.current, language())
        keys = [("O", lambda: _("yes")), ("N", lambda: _("no")), ("P", lambda: _("skip"))]
        if self.current == "battery":
            keys = [("enter", lambda: _("measure")), ("P", lambda: _("skip"))]
        words = _measure_words()
        extra = "".join(
            f"\n{words[k]} : {v}" for k, v in self.measured.items() if v is not None and k in words
        )
        self._show(f"{name}\n\n{question}{extra}", keys)

    def on_key(self, event: events.Key) -> None:
        handler = {
            "intro": self._key_intro,
            "ask": self._key_ask,
            "keyboard": self._key_keyboard,
            "colour": self._key_colour,
            "end": self._key_end,
        }.get(self.mode)
        if handler is not None:
            event.stop()
            event.prevent_default()
            handler(event)
        elif self.mode == "typing" and event.key == "escape":
            event.stop()
            self.ask()
        elif self.mode == "override" and event.key == "escape":
            event.stop()
            self.query_one("#typed", Input).password = False
            self.show_end()

    def _key_intro(self, event: events.Key) -> None:
        if event.key == "enter":
            self.start_automatic()
        elif event.key == "escape":
            self.dismiss(None)

    def _key_ask(self, event: events.Key) -> None:
        key = (event.character or event.key).lower()
        if self.current == "battery" and event.key == "enter":
            self._busy(self.session.bench.function_tests.discharge_seconds)
            self.measure_battery()
        elif key in ("o", "y") and self.current != "battery":
            self.keep(
                checks.answered(
                    self._ctx(), self.current, self._question(), True, measured=self.measured
                )
            )
        elif key == "n" and self.current != "battery":
            self._type("observed")
        elif key == "p":
            self._type("reason")

    def _type(self, what: Typing) -> None:
        self.mode, self.typing = "typing", what
        prompt = (
            _("What did you see? (Enter to record, Esc to go back)")
            if what == "observed"
            else _("Why is this test not done? (Enter to record, Esc to go back)")
        )
        self._show(
            f"{title(self.current, language())}\n\n{prompt}",
            [("enter", lambda: _("record")), ("esc", lambda: _("back"))],
            typed=True,
        )

    @on(Input.Submitted, "#typed")
    def typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.mode == "override" and text:
            self._override_typed(text)
            return
        if not text:
            self.notice(_("Write it in a few words first: nothing is recorded without it."))
            return
        if self.typing == "reason" and self.current == "battery":
            self.done(self.session.battery(self.operator, measure=False, reason=text))
        elif self.typing == "reason":
            self.keep(checks.skipped(self._ctx(), self.current, text))
        else:
            self.keep(
                checks.answered(
                    self._ctx(),
                    self.current,
                    self._question(),
                    False,
                    observed=text,
                    measured=self.measured,
                )
            )

    def _usb_plugged(self, port: str) -> None:
        """From udev's thread: one more port seen; the question shows the count."""
        self.app.call_from_thread(self._count_usb, port)

    def _count_usb(self, port: str) -> None:
        if self.mode != "ask" or self.current != "ports" or port in self.usb_seen:
            return
        self.usb_seen.append(port)
        self.measured["usb_ports_seen"] = len(self.usb_seen)
        self.measured["usb_ports"] = ", ".join(self.usb_seen)
        self.ask()

    def _stop_usb(self) -> None:
        if self.stop_usb is not None:
            self.stop_usb()
            self.stop_usb = None

    def _ctx(self) -> checks.Context:
        return self.session.context(self.operator)

    def _question(self) -> str:
        return _questions()[self.current]()

    def keep(self, body: FunctionTest) -> None:
        try:
            self.session.record(body)
        except StationError as exc:
            self.notice(exc.one_line_in(language()))
            return
        self.done(body)

    def done(self, body: FunctionTest) -> None:
        """The test's record is in the journal: say so, then the next question."""
        self._stop_usb()
        self.notice(self._line(body))
        self.next_step()

    # Battery, sound ----------------------------------------------------------------
    @work(thread=True, exclusive=True, group="function-tests", exit_on_error=False)
    def measure_battery(self) -> None:
        self.app.call_from_thread(self._show, _("Measuring the battery… keep the charger out."), [])
        body = self.session.battery(self.operator, measure=True)
        self.app.call_from_thread(self.done, body)

    @work(thread=True, exclusive=True, group="function-tests", exit_on_error=False)
    def play_sound(self) -> None:
        device = self.session.speaker_device()
        if device is None:
            body = self.session.record(checks.result(self._ctx(), "audio", "not_present"))
            self.app.call_from_thread(self.done, body)
            return
        played = self.session.play_sound(device)
        peak, _evidence = self.session.microphone_peak()
        self.measured = {"device": device, "played": played.ok, "microphone_peak_percent": peak}
        self.app.call_from_thread(self.ask)

    # Keyboard ----------------------------------------------------------------------
    def _keyboard_text(self) -> str:
        missing = self.tally.never_pressed()
        lines = [_("Press every key. When all are green, press F10 twice.")]
        shown = " ".join(missing[:24]) + (" …" if len(missing) > 24 else "")
        lines.append(_("Not pressed yet ({count}): {keys}").format(count=len(missing), keys=shown))
        if self.tally.stuck:
            lines.append(
                _("Repeats by itself (stuck?): {keys}").format(
                    keys=" ".join(sorted(self.tally.stuck))
                )
            )
        return "\n".join(lines)

    def _key_keyboard(self, event: events.Key) -> None:
        finishing = event.key == "f10" and self.last_key == "f10"
        self.query_one("#keyboard", KeyboardMap).press(event.key, event.character)
        self.last_key = event.key
        self.query_one("#body", Static).update(self._keyboard_text())
        if finishing:
            self.measured = {
                "layout": self.tally.layout,
                "keys_pressed": len(self.tally.seen),
                "keys_never_pressed": " ".join(self.tally.never_pressed()) or None,
                "keys_repeating": " ".join(sorted(self.tally.stuck)) or None,
                "not_checkable": " ".join(NOT_CHECKABLE),
            }
            self.ask()

    # Colour screens ----------------------------------------------------------------
    def _key_colour(self, event: events.Key) -> None:
        if event.key not in ("enter", "space"):
            return
        self.colour += 1
        if self.colour >= len(COLOURS):
            panel = self.session.panel()
            self.measured = {
                "colours": " ".join(COLOURS),
                "native_resolution": panel.resolution if panel else None,
                "panel": panel.name if panel else None,
            }
            self.query_one("#body").display = True
            self.ask()
            return
        for widget in self.children:
            widget.display = False
        self.styles.background = COLOURS[self.colour]

    # End ---------------------------------------------------------------------------
    def show_end(self) -> None:
        self.mode = "end"
        decision = self.session.decision()
        lines = [
            _("Grade: {code} — {label}").format(
                code=decision.code, label=decision.label.get(language())
            )
        ]
        lines += [f"  {reason.get(language())}" for reason in decision.reasons]
        if decision.defects:
            lines.append(_("Defects:"))
            lines += [f"  {d}" for d in decision.defects]
        keys = [("enter", lambda: _("record the grade")), ("esc", lambda: _("back"))]
        if self.override is not None:
            keys.insert(1, ("N", lambda: _("the supervisor changes the grade")))
        self._show("\n".join(lines), keys)

    def _key_end(self, event: events.Key) -> None:
        if event.key == "escape":
            self.dismiss(None)
        elif (event.character or "").lower() == "n" and self.override is not None:
            self.override_answers = []
            self._ask_override()
        elif event.key == "enter":
            try:
                grade = self.session.grade(self.operator)
            except StationError as exc:
                self.notice(exc.one_line_in(language()))
                return
            self.graded(grade)

    def graded(self, grade: Grade) -> None:
        self.notice(_("Grade {code} recorded.").format(code=grade.grade))
        if self.write_fiche is not None:
            self.make_fiche(grade.grade)

    # The supervisor's grade -----------------------------------------------------------
    def _ask_override(self) -> None:
        """One prompt at a time: grade, id, secret (hidden), reason."""
        self.mode = "override"
        step = len(self.override_answers)
        codes = ", ".join(level.code for level in self.session.bench.grades.levels)
        head = _("Grade computed: {code}. Grades of this bench: {codes}.").format(
            code=self.session.decision().code, codes=codes
        )
        keys = [("enter", lambda: _("next")), ("esc", lambda: _("back"))]
        self._show(f"{head}\n\n{_override_prompts()[step]}", keys, typed=True)
        self.query_one("#typed", Input).password = step == 2

    def _override_typed(self, text: str) -> None:
        self.override_answers.append(text)
        if len(self.override_answers) < len(_override_prompts()):
            self._ask_override()
            return
        assert self.override is not None
        grade, who, secret, reason = self.override_answers
        self.override_answers = []
        self.query_one("#typed", Input).password = False
        try:
            recorded = self.override(grade.strip().upper(), who, secret, reason)
        except StationError as exc:
            self.show_end()
            self.notice(exc.one_line_in(language()))
            return
        self.show_end()
        self.graded(recorded)

    @work(thread=True, exclusive=True, group="function-tests", exit_on_error=False)
    def make_fiche(self, code: str) -> None:
        """The fiche de reconditionnement (PDF) of this computer, off the screen's thread."""
        assert self.write_fiche is not None
        recorded = _("Grade {code} recorded.").format(code=code)
        try:
            path = self.write_fiche()
        except StationError as exc:
            said = _("No sheet: {error}").format(error=exc.one_line_in(language()))
        else:
            said = _("Refurbishing sheet: {path}").format(path=path)
        self.app.call_from_thread(self.notice, f"{recorded} {said}")
