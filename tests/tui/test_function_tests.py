"""The Tests step driven with Pilot at 80 x 25, keyboard only: the keyboard map, the
five colour screens, skips that need a reason, and the grade at the end, every answer
a signed record in a real journal. The machine is read from a sysfs tree holding real
recorded files (a laptop panel's EDID, a battery's uevent) and recorded tool outputs
(tests/fixtures/functions/SOURCES.md)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.color import Color
from textual.widgets import Static

from station.devices.runner import CommandEvidence
from station.domain.host import HostFacts
from station.domain.record import HostRef
from station.errors import CommandError
from station.jobs.function_session import FunctionSession
from station.tui.app import StationApp
from station.tui.keyboard_map import KeyboardMap
from station.tui.screens.function_tests import FunctionTestsScreen
from station.wiring import Services
from tests.tui.conftest import (
    SUPERVISOR_SECRET,
    StaticDiskSource,
    bench_profile_for,
    fixed_clock,
    snapshot_disks,
    wait_for,
)

pytestmark = [pytest.mark.tui, pytest.mark.anyio]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FUNCTIONS = FIXTURES / "functions"
HOST = HostRef(manufacturer="LENOVO", product="ThinkPad T480", serial="PF0TEST1")


class RecordedTools:
    """Each tool answers with a recorded output of a real machine, or is missing."""

    ANSWERS: ClassVar[dict[tuple[str, ...], tuple[str | None, int | None]]] = {
        ("memtester", "256M", "1"): ("memtester/ubuntu20-32M-1-passed.txt", 0),
        ("v4l2-ctl", "--list-devices"): ("v4l2/laptop-integrated-webcam-and-usb-4k.txt", 0),
        ("iw", "dev"): (None, 1),  # "nl80211 not found": no Wi-Fi driver
        ("aplay", "-l"): ("aplay/puppy-hda-ati-sb-alc883.txt", 0),
        ("speaker-test", "-D", "plughw:0,0", "-c", "2", "-t", "wav", "-l", "1"): (None, 0),
    }

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        key = tuple(argv)
        frame = next((a.split("=", 1)[1] for a in key if a.startswith("--stream-to=")), None)
        if frame is not None:  # the camera gives a lit YUYV frame
            Path(frame).write_bytes(bytes([120, 128]) * 320 * 240)
            now = fixed_clock()
            return CommandEvidence(key, 0, "", "", now, now)
        if key[0] == "arecord":
            raise CommandError("arecord: not found")
        if key not in self.ANSWERS:
            raise CommandError(f"{key[0]}: no recorded answer")
        name, code = self.ANSWERS[key]
        out = (FUNCTIONS / name).read_text() if name else ""
        now = fixed_clock()
        return CommandEvidence(key, code, out, "", now, now + timedelta(seconds=1))


class UsbPlugs:
    """Stands for udev: the test plugs sticks, the callback runs on another thread."""

    def __init__(self) -> None:
        self.on_port: Callable[[str], None] | None = None

    def watch(self, on_port: Callable[[str], None]) -> Callable[[], None]:
        self.on_port = on_port
        return self.stopped

    def stopped(self) -> None:
        self.on_port = None

    def plug(self, *ports: str) -> threading.Thread:
        """udev's thread: it waits on the screen, so the test must not wait on it."""
        on_port = self.on_port
        assert on_port is not None, "not watching USB ports"
        thread = threading.Thread(target=lambda: [on_port(port) for port in ports])
        thread.start()
        return thread


USB = UsbPlugs()


def laptop_sysfs(root: Path) -> tuple[Path, Path]:
    """/sys with the panel's EDID and /sys/class/power_supply with a real battery."""
    dump = (FUNCTIONS / "edid/auo-b140hak01-1920x1080.txt").read_text()
    hex_part = dump.split("(hex):", 1)[1].split("----------------", 1)[0]
    panel = root / "class" / "drm" / "card0-eDP-1"
    panel.mkdir(parents=True)
    (panel / "edid").write_bytes(
        bytes(int(h, 16) for h in re.findall(r"\b[0-9a-f]{2}\b", hex_part))
    )
    (panel / "status").write_text("connected\n")
    supply = root / "class" / "power_supply"
    (supply / "BAT0").mkdir(parents=True)
    battery = FIXTURES / "host/power_supply/BAT0-uevent-lenovo-l14m4p23-charging.txt"
    (supply / "BAT0" / "uevent").write_text(battery.read_text())
    return root, supply


@pytest.fixture
def services(tmp_path: Path) -> Services:
    made = Services(
        data_dir=tmp_path / "data",
        bench=bench_profile_for(),
        disk_source=StaticDiskSource(snapshot_disks()),
        clock=fixed_clock,
    )
    sys_root, supply = laptop_sysfs(tmp_path / "sys")
    made.__dict__["functions"] = FunctionSession(
        made.journal, made.bench, RecordedTools(), fixed_clock, sys_root=sys_root,
        power_supply=supply, host_facts=lambda: HostFacts(host=HOST, ram_bytes=8 << 30),
        usb_watch=USB.watch,
    )  # fmt: skip
    return made


def function_records(services: Services) -> list[dict[str, Any]]:
    return [b for b in services.functions.bodies() if b["kind"] in ("function_test", "grade")]


def mode_of(screen: FunctionTestsScreen) -> str:
    return screen.mode  # read afresh: the screen moved on since the last check


def body_text(app: StationApp) -> str:
    return str(app.screen.query_one("#body", Static).render())


async def to_keyboard_step(app: StationApp, pilot: Any) -> FunctionTestsScreen:
    await pilot.press("f")
    screen = app.screen
    assert isinstance(screen, FunctionTestsScreen)
    assert "Clavier : à faire" in body_text(app)
    await pilot.press("enter")  # the automatic tests, then the battery question
    await wait_for(pilot, lambda: screen.mode == "ask", "the battery question")
    assert "Débranchez le chargeur" in body_text(app)
    await pilot.press("p", "enter")  # a skip without a reason is refused
    assert "rien n'est enregistré" in str(screen.query_one("#notice", Static).render())
    await pilot.press(*"pas de chargeur", "enter")
    assert screen.mode == "keyboard"
    return screen


async def test_keyboard_map_lights_keys_and_lists_the_ones_never_pressed(
    services: Services,
) -> None:
    app = StationApp(services, operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await to_keyboard_step(app, pilot)
        keyboard = screen.query_one("#keyboard", KeyboardMap)
        assert keyboard.display and "Pas encore appuyées (77)" in body_text(app)
        await pilot.press("a", "z", "A", "ctrl+c", "enter", "space")
        assert {"a", "z", "Maj", "Ctrl", "c", "Entr", "Espace"} <= keyboard.tally.seen
        assert "Pas encore appuyées (70)" in body_text(app)
        # F2, F3, F4 switch language, font and contrast elsewhere: here they are keys.
        await pilot.press("f2", "f3", "f4", "=")
        assert {"F2", "F3", "F4", "="} <= keyboard.tally.seen
        assert "Pas encore appuyées (66)" in body_text(app)  # still in French
        assert not app.services.bench.high_contrast and not app.services.bench.large_text
        await pilot.press("^")  # its own key, though AltGr+ç types it too
        assert "^" in keyboard.tally.seen and "ç" not in keyboard.tally.seen
        await pilot.press(*["q"] * 30)  # a key that keeps coming on its own
        assert "Se répète toute seule (bloquée ?) : q" in body_text(app)
        await pilot.press("f10", "f10", "n")
        await pilot.press(*"touche Suppr morte", "enter")
        await pilot.pause()
    keyboard_record = next(b for b in function_records(services) if b["test"] == "keyboard")
    assert keyboard_record["status"] == "failed" and keyboard_record["judged_by"] == "operator"
    assert keyboard_record["observed"] == "touche Suppr morte"
    assert keyboard_record["measured"]["keys_repeating"] == "q"
    assert "Sup" in keyboard_record["measured"]["keys_never_pressed"].split()
    assert keyboard_record["measured"]["not_checkable"] == "AltGr Fn Windows"
    battery = next(b for b in function_records(services) if b["test"] == "battery")
    assert (battery["status"], battery["reason"]) == ("not_tested", "pas de chargeur")
    assert battery["measured"]["health_percent"] == 87.1  # read all the same


async def test_colour_screens_fill_the_screen_then_ask_and_the_grade_is_recorded(
    services: Services,
) -> None:
    app = StationApp(services, operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await to_keyboard_step(app, pilot)
        await pilot.press("f10", "f10", "o")
        assert screen.mode == "colour"
        seen = []
        for _ in range(5):
            await pilot.press("enter")
            assert not screen.query_one("#body").display  # nothing but the colour
            seen.append(screen.styles.background)
        assert seen == [Color.parse(c) for c in ("black", "white", "red", "green", "blue")]
        await pilot.press("enter")
        assert "définition native : 1920x1080" in body_text(app)
        await pilot.press("o")  # screen perfect
        await wait_for(pilot, lambda: screen.mode == "ask", "the sound question")
        await pilot.press("o")  # sound
        plugging = USB.plug("1-1", "1-2", "1-1")  # the same port twice counts once
        await wait_for(pilot, lambda: not plugging.is_alive(), "the plugs")
        assert "lesquels : 1-1, 1-2" in body_text(app)
        await pilot.press("o", "o")  # ports, touchpad
        assert USB.on_port is None  # no longer watching once answered
        await pilot.press("p", *"voyant masqué par un autocollant", "enter")  # camera light
        await pilot.press("n", *"coque fendue", "enter")  # hinges and case
        assert mode_of(screen) == "end"
        assert "Note : C — Correct" in body_text(app)
        await pilot.press("enter")
        notice = screen.query_one("#notice", Static)
        await wait_for(pilot, lambda: "Fiche" in str(notice.render()), "the sheet written")
        assert "Note C enregistrée. Fiche de reconditionnement :" in str(notice.render())
        # The supervisor gives another grade: a wrong code records nothing.
        await pilot.press("n", "B", "enter", *"formateur-01", "enter", *"0000", "enter")
        await pilot.press(*"batterie neuve posée", "enter")
        assert "Note : C" in body_text(app) and "Fiche" not in str(notice.render())
        await pilot.press("n", "B", "enter", *"formateur-01", "enter")
        await pilot.press(*SUPERVISOR_SECRET, "enter", *"batterie neuve posée", "enter")
        await wait_for(pilot, lambda: "Note B enregistrée" in str(notice.render()), "grade B")
    records = function_records(services)
    by_test = {b.get("test"): b for b in records if b["kind"] == "function_test"}
    assert by_test["screen"]["measured"]["native_resolution"] == "1920x1080"
    assert by_test["screen"]["measured"]["panel"] == "B140HAK01.0"
    assert by_test["webcam_led"]["reason"] == "voyant masqué par un autocollant"
    assert by_test["ports"]["measured"]["usb_ports_seen"] == 2
    assert by_test["ports"]["measured"]["usb_ports"] == "1-1, 1-2"
    assert by_test["camera"]["measured"]["brightness_percent"] == 47.1
    assert by_test["case"]["observed"] == "coque fendue"
    assert (
        by_test["memory"]["status"] == "passed" and by_test["wireless"]["status"] == "not_present"
    )
    assert by_test["storage"]["status"] == "not_tested"  # no SMART record of its disk yet
    grade, changed = (b for b in records if b["kind"] == "grade")
    assert (grade["grade"], grade["computed"], grade["overridden_by"]) == ("C", "C", None)
    assert (changed["grade"], changed["computed"], changed["operator"]) == (
        "B",
        "C",
        "formateur-01",
    )
    assert (changed["overridden_by"], changed["override_reason"]) == (
        "formateur-01",
        "batterie neuve posée",
    )
    assert any("essentiel" in r["fr"] for r in grade["reasons"])
    assert grade["defects"] == ["Charnières et coque : coque fendue"]
    assert (services.data_dir / "documents" / "fiche-PF0TEST1.pdf").is_file()
