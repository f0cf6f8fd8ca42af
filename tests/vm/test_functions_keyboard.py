"""Boot 4, "functions by keyboard": issue 19's "done when" in the VM. Station's real bench
screen (`station tui`) runs on the VM's console tty1, as on the stick, and the host is
the trainee: it presses keys on QEMU's USB keyboard with QMP `send-key` and nothing
else (no --operator, no answer typed for it), and sees tty1 as the payload sends it
(text and colours from /dev/vcsu1, /dev/vcsa1). One run: identify, recondition the SATA
disk from the dashboard (so its erasure is recorded with this machine), then the Tests
step: every key of the map, the five colours, the sound heard in QEMU's wav file, a USB
stick plugged in by QMP while the ports question is shown, skips with their reasons,
the grade. Then the journal's records and the fiche PDF (`station fiche`) are checked:
what QEMU lacks (battery, camera, Wi-Fi, panel EDID) is not_present, never passed.
Runs tests/vm/payloads/functions_tui.py inside the VM.
"""

from __future__ import annotations

import base64
import io
import re
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import MIB, STICK, VM, Drive, blocks_with_old_data, running
from pypdf import PdfReader
from rootfs import BuiltRootfs
from tty_screen import Screen, latest, press, us_keys, wait_screen

from station.domain.bench_profile import default_bench
from station.domain.grading import compute_grade
from station.domain.keyboard_layouts import LAYOUTS, KeyboardTally
from station.domain.record import FunctionTest
from station.tui.keyboard_map import CELL, KeyboardMap
from tests.vm.vm_support import finished, payload, step

pytestmark = [pytest.mark.vm, pytest.mark.timeout(2400)]

SERIAL = "VM-KBD-0001"  # the machine's SMBIOS serial: the fiche is named after it
DISK = Drive("sata", "ata", "STN-SATA-0001", size=32 * MIB, model="STATION SATA DISK")
PLUG = Drive("plug", "usb", "STN-PLUG-0001", size=8 * MIB, hotplug_later=True)
OPERATOR = "stagiaire-01"
LAYOUT = "qwerty-us"  # the bench profile of the payload: the console's keymap is US
SKIPS = {
    "pointer": "pas de pave tactile dans la machine virtuelle",
    "webcam_led": "pas de camera dans la machine virtuelle",
    "case": "machine virtuelle sans coque",
}
# Every key of the US map as QEMU names it (the console's keymap is the kernel's US one).
# Shift is seen through "Z", Ctrl through Ctrl+C, Alt through Alt+X (ESC x on a console).
MAP_KEYS = [
    "esc", *[f"f{n}" for n in range(1, 13)], "delete",
    "grave_accent", *"1234567890", "minus", "equal", "backspace",
    "tab", *"qwertyuiop", "bracket_left", "bracket_right", "backslash",
    *"asdfghjkl", "semicolon", "apostrophe", "ret",
    "shift-z", *"xcvbnm", "comma", "dot", "slash",
    "ctrl-c", "alt-x", "spc", "left", "up", "down", "right", "home", "end", "pgup", "pgdn",
]  # fmt: skip


def audio_devices(workdir: Path) -> tuple[str, ...]:
    """intel-hda whose speakers write to a wav file the host listens to."""
    return (
        "-audiodev", f"wav,id=snd0,path={workdir / 'speakers.wav'}",
        "-device", "intel-hda,id=hda0",
        "-device", "hda-duplex,audiodev=snd0",
        "-device", "usb-kbd,bus=xhci0.0",
        "-smbios", f"type=1,manufacturer=QEMU,product=Station VM,serial={SERIAL}",
    )  # fmt: skip


def heard(path: Path) -> bool:
    """Whether the speakers played anything but silence so far (the wav header is only
    finished when QEMU stops: read the samples after it)."""
    data = path.read_bytes()[44:] if path.exists() else b""
    return any(data)


def showing(text: str) -> Callable[[Screen], bool]:
    """The screen shows `text`, maybe wrapped over two lines."""
    wanted = " ".join(text.split())
    return lambda screen: wanted in " ".join(screen.text.split())


def ascii_start(text: str) -> str:
    match = re.match(r"[ -~]*", text)
    return match.group(0).rstrip() if match else ""


def map_cells(screen: Screen) -> dict[str, tuple[int, int]]:
    """Where the map draws each key's label on tty1: the map's rows (drawn here the way
    the screen draws them) are found on the screen, then each key's cells counted."""
    rows = KeyboardMap(KeyboardTally(LAYOUT)).picture().plain.split("\n")
    cells = {}
    for keys, drawn in zip(LAYOUTS[LAYOUT], rows, strict=False):
        # Its ASCII start: the console font (code page 437) has no glyph for ⌫, so tty1
        # holds another character there.
        found = screen.find(ascii_start(drawn))
        assert found is not None, f"map row {drawn!r} not on tty1:\n{screen.text}"
        row, column = found
        for key in keys:
            cells[key.label] = (row, column + 1)  # inside the key, past its first cell
            column += key.width * CELL + key.width
    return cells


FINAL_STATES = re.compile(r"terminé|échec|Échec|arrêté")


def disk_row_final(screen: Screen) -> bool:
    """The disk's row (its model line and its serial line) shows a final state."""
    lines = screen.lines()
    found = screen.find(DISK.serial)
    if found is None:
        return False
    row = " ".join(lines[max(found[0] - 1, 0) : found[0] + 2])
    return bool(FINAL_STATES.search(row))


def choose_the_disk(vm: VM) -> str:
    """R on the SATA disk's row: the dialog must name it before its code is typed (the
    live stick's row, refused, may be the first)."""
    for _attempt in range(3):
        mark = press(vm, ["r"])
        try:
            confirm = wait_screen(vm, showing("Reconditionner ce disque"), 60, after=mark)
        except TimeoutError:  # R on the refused stick: a notice, no dialog
            press(vm, ["down"])
            continue
        if DISK.serial in confirm.text:
            return confirm.text
        press(vm, ["esc", "down"])
    raise AssertionError("no confirmation dialog named the SATA disk")


def drive_the_bench(vm: VM, seen: dict[str, Any]) -> None:
    """The trainee at tty1, keys only."""
    wait_screen(vm, showing(OPERATOR), 600)
    press(vm, us_keys(OPERATOR + "\n"))
    board = wait_screen(vm, showing(DISK.serial), 300)
    seen["dashboard"] = board.text
    seen["confirm"] = choose_the_disk(vm)
    mark = press(vm, us_keys(DISK.serial[-4:] + "\n"))
    seen["after_wipe"] = wait_screen(vm, disk_row_final, 900, after=mark).text
    mark = press(vm, ["f"])
    seen["intro"] = wait_screen(vm, showing("Clavier : à faire"), 120, after=mark).text
    mark = press(vm, ["ret"])
    before = wait_screen(vm, showing("Pas encore appuyées"), 900, after=mark)
    seen["map_before"] = before
    keyboard_test(vm, seen, before)
    colour_screens(vm, seen)
    mark = len(vm.events())
    sound = wait_screen(vm, showing("Avez-vous entendu"), 180)
    seen["sound_question"] = sound.text
    seen["heard"] = heard(vm.workdir / "speakers.wav")
    mark = press(vm, ["o"] if seen["heard"] else ["n", *us_keys("aucun son\n")])
    ports_question(vm, seen, mark)
    for test, reason in SKIPS.items():
        mark = press(vm, ["p"])
        wait_screen(vm, showing("Pourquoi"), 60, after=mark)
        press(vm, us_keys(reason + "\n"))
        seen[f"skipped_{test}"] = True
    end = wait_screen(vm, showing("Note :"), 120)
    seen["end"] = end.text
    mark = press(vm, ["ret"])
    seen["recorded"] = wait_screen(vm, showing("Fiche de reconditionnement"), 300, after=mark).text


def keyboard_test(vm: VM, seen: dict[str, Any], before: Screen) -> None:
    """Every key of the map, then F10 twice; the lit keys are read from the console's
    colours, compared with a key not pressed yet."""
    mark = press(vm, MAP_KEYS)
    after = wait_screen(vm, showing("Pas encore appuyées (0)"), 120, after=mark)
    seen["map_after"] = after
    mark = press(vm, ["f10", "f10"])
    wait_screen(vm, showing("se sont-elles allumées"), 60, after=mark)
    press(vm, ["o"])


def plain_colour(before: Screen | None) -> Callable[[Screen], bool]:
    """A screen of one background colour, nothing written on it, other than `before`."""

    def ready(screen: Screen) -> bool:
        changed = before is None or screen.attrs != before.attrs
        return screen.text.strip() == "" and len(screen.backgrounds()) == 1 and changed

    return ready


def colour_screens(vm: VM, seen: dict[str, Any]) -> None:
    """Enter: a colour fills the screen with nothing else on it, five times."""
    wait_screen(vm, showing("Cinq couleurs"), 60)
    colours = []
    for _ in range(5):
        shown = latest(vm)
        mark = press(vm, ["ret"])
        picture = wait_screen(vm, plain_colour(shown), 60, after=mark)
        colours.append(sorted(picture.backgrounds())[0])
    seen["colours"] = colours
    mark = press(vm, ["ret"])
    seen["screen_question"] = wait_screen(vm, showing("parfait"), 60, after=mark).text
    press(vm, ["o"])


def ports_question(vm: VM, seen: dict[str, Any], mark: int) -> None:
    """A USB stick plugged in by QMP while the question is up: udev counts its port."""
    seen["ports_question"] = wait_screen(vm, showing("Branchez la clé USB"), 120, after=mark).text
    with vm.qmp() as monitor:
        monitor.drive_add(vm.drive_spec(PLUG))
        monitor.device_add(vm.device_spec(PLUG))
    seen["ports_counted"] = wait_screen(vm, showing("lesquels"), 120).text
    press(vm, ["o"])


@pytest.fixture(scope="module")
def bench(vm_rootfs: BuiltRootfs, vm_workdir: Path) -> dict[str, Any]:
    vm = VM(vm_rootfs, vm_workdir, drives=(DISK, STICK, PLUG), timeout_s=2000,
            extra_devices=audio_devices(vm_workdir))  # fmt: skip
    seen: dict[str, Any] = {}
    config = {"payload_timeout_s": 1850, "host_serial": SERIAL}
    with running(vm, payload("functions_tui.py"), config=config):
        vm.wait_event("tui-started", timeout_s=300)
        drive_the_bench(vm, seen)
    seen["run"] = finished(vm)
    seen["disk_old_blocks"] = blocks_with_old_data(vm.images[DISK.role])
    seen["wav"] = vm_workdir / "speakers.wav"
    return seen


def result(bench: dict[str, Any], name: str) -> Any:
    return step(bench["run"].result, name)


def records(bench: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in result(bench, "after")["records"] if r["kind"] == kind]


def function_records_of(bench: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["test"]: r for r in records(bench, "function_test")}


def pdf_text(encoded: str | None) -> str:
    assert encoded, "no fiche PDF"
    return "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(base64.b64decode(encoded))).pages
    )


def test_the_keys_came_from_the_usb_keyboard(bench: dict[str, Any]) -> None:
    session = result(bench, "session")
    usb = [name for name in session["keyboards"] if "USB Keyboard" in name]
    assert usb, session["keyboards"]
    # At least every key of the map went through QEMU's USB keyboard to the kernel.
    assert session["presses"].get(usb[0], 0) >= len(MAP_KEYS), session["presses"]
    assert session["tui_ran_to_the_end"], session["tui_log"]


def test_each_key_pressed_is_lit_on_the_map(bench: dict[str, Any]) -> None:
    before, after = bench["map_before"], bench["map_after"]
    unlit = {before.attr(*cell) for cell in map_cells(before).values()}
    lit = {label: after.attr(*cell) for label, cell in map_cells(after).items()}
    assert len(unlit) == 1, unlit  # nothing pressed yet: one colour for every key
    assert all(attr not in unlit for attr in lit.values()), (unlit, lit, after.text)
    assert len(set(lit.values())) == 1, lit  # every key pressed, one colour
    assert "Pas encore appuyées (0)" in " ".join(after.text.split())


def test_the_five_colours_fill_the_screen(bench: dict[str, Any]) -> None:
    colours = bench["colours"]
    assert len(set(colours)) == 5, colours  # black, white, red, green, blue: five
    assert colours[0] == 0  # black first (VGA colour 0)


def test_every_test_ends_with_an_honest_status(bench: dict[str, Any]) -> None:
    tests = function_records_of(bench)
    statuses = {name: body["status"] for name, body in tests.items()}
    assert statuses == {
        "storage": "passed",  # the SMART verdict recorded when the disk was reconditioned
        "memory": "passed",
        "camera": "not_present",
        "wireless": "not_present",
        "battery": "not_present",
        "keyboard": "passed",
        "screen": "passed",
        "audio": "passed" if bench["heard"] else "failed",
        "ports": "passed",
        "pointer": "not_tested",
        "webcam_led": "not_tested",
        "case": "not_tested",
    }, statuses
    assert all(tests[name]["reason"] == reason for name, reason in SKIPS.items())
    assert tests["keyboard"]["judged_by"] == "operator"
    assert tests["keyboard"]["measured"]["layout"] == "qwerty-us"
    assert tests["keyboard"]["measured"]["keys_never_pressed"] is None
    assert tests["screen"]["measured"]["native_resolution"] is None  # no EDID in QEMU
    assert tests["audio"]["measured"]["device"] == "plughw:0,0"
    assert tests["ports"]["measured"]["usb_ports_seen"] == 1
    assert tests["memory"]["measured"]["tested_megabytes"] == 16
    assert all(body["host"]["serial"] == SERIAL for body in tests.values())


def test_the_sound_really_played(bench: dict[str, Any]) -> None:
    assert bench["heard"], "QEMU's speakers file stayed silent"
    with wave.open(str(bench["wav"])) as played:  # its header is whole now QEMU stopped
        assert played.getnframes() > 0 and played.getnchannels() == 2


def test_the_grade_follows_the_bench_rules(bench: dict[str, Any]) -> None:
    (grade,) = records(bench, "grade")
    tests = [FunctionTest.model_validate(body) for body in records(bench, "function_test")]
    computed = compute_grade(tests, default_bench().grades)
    assert (grade["grade"], grade["computed"]) == (computed.code, computed.code)
    assert [r["fr"] for r in grade["reasons"]] == [r.fr for r in computed.reasons]
    assert f"Note : {computed.code}" in bench["end"]
    assert grade["overridden_by"] is None and grade["operator"] == OPERATOR


def test_the_disk_was_erased_and_recorded_with_this_machine(bench: dict[str, Any]) -> None:
    assert bench["disk_old_blocks"] == []
    inventories = records(bench, "host_inventory")
    assert any(
        body["host"]["serial"] == SERIAL and DISK.serial in [d["serial"] for d in body["disks"]]
        for body in inventories
    ), inventories


def test_the_fiche_shows_the_tests_and_the_erasure_of_this_machine(bench: dict[str, Any]) -> None:
    # The sheet the screen wrote when the grade was recorded, in the bench's French.
    screen = " ".join(pdf_text(result(bench, "session")["screen_fiche"]).split())
    assert SERIAL in screen and DISK.serial in screen
    assert STICK.serial not in screen  # Station's boot stick is no disk of the machine
    for title in ("Clavier OK", "Écran OK", "Batterie absent", "Mémoire OK", "Son OK"):
        assert title in screen, title
    assert "Caméra absent" in screen and "Wi-Fi et Bluetooth absent" in screen
    assert SKIPS["pointer"] in screen  # a skip's reason
    assert "EFFACÉ" in screen  # the SATA disk's certificate, read back
    assert "fonctions non testées" in screen  # so it does not support « reconditionné »
    # `station fiche` reads the same records (in the console's language, English here).
    after = result(bench, "after")
    assert after["fiche_run"]["rc"] == 0, after["fiche_run"]
    cli = " ".join(pdf_text(after["fiche"]).split())
    assert SERIAL in cli and DISK.serial in cli and STICK.serial not in cli
    assert "Keyboard passed" in cli and "Battery not present" in cli
    assert cli.count(OPERATOR) == screen.count(OPERATOR) == 12  # one line per test
