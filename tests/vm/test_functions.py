"""Boot 3, "functions": the functional tests' automatic part inside the VM, against
QEMU's emulated devices and the real tools. QEMU has an intel-hda sound card (with the
hda-duplex codec, sound going nowhere: -audiodev none) and a USB keyboard; it has no
battery, camera, Wi-Fi or panel EDID, so those must come out not_present, never passed.
Runs tests/vm/payloads/functions.py inside the VM (docs/functional-tests.md says which
test is covered in which tier).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from harness import STICK, VM, running
from rootfs import BuiltRootfs

from tests.vm.vm_support import finished, payload, step

pytestmark = [pytest.mark.vm, pytest.mark.timeout(1500)]

DEVICES = (
    "-audiodev", "none,id=snd0",
    "-device", "intel-hda,id=hda0",
    "-device", "hda-duplex,audiodev=snd0",
    "-device", "usb-kbd,bus=xhci0.0",
)  # fmt: skip


@pytest.fixture(scope="module")
def result(vm_rootfs: BuiltRootfs, vm_workdir: Path) -> dict[str, Any] | None:
    vm = VM(vm_rootfs, vm_workdir, drives=(STICK,), timeout_s=600, extra_devices=DEVICES)
    with running(vm, payload("functions.py"), config={"payload_timeout_s": 500}):
        pass
    return finished(vm).result


def test_memtester_really_runs_in_the_vm(result: dict[str, Any] | None) -> None:
    memory = step(result, "automatic")["memory"]
    assert memory["status"] == "passed", memory
    assert memory["argv"] == [["memtester", "16M", "1"]] and memory["exit_codes"] == [0]
    assert memory["measured"]["tested_megabytes"] == 16


def test_what_qemu_lacks_is_not_present_never_passed(result: dict[str, Any] | None) -> None:
    automatic = step(result, "automatic")
    assert automatic["camera"]["status"] == "not_present", automatic["camera"]
    assert automatic["wireless"]["status"] == "not_present", automatic["wireless"]
    # No SMART record of this machine's disk in its journal: not tested, with why.
    assert automatic["storage"]["status"] == "not_tested"
    machine = step(result, "machine")
    assert machine["battery"]["status"] == "not_present", machine["battery"]
    assert machine["panel"] is None


def test_the_sound_card_plays_and_records(result: dict[str, Any] | None) -> None:
    sound = step(result, "sound")
    assert "card 0:" in sound["aplay"] and "HDA" in sound["aplay"], sound["aplay"]
    assert sound["device"] == "plughw:0,0", sound
    assert sound["played_rc"] == 0, sound["played_stderr"]
    assert sound["recorded_rc"] == 0 and sound["microphone_peak"] is not None, sound


def test_the_usb_keyboard_is_an_input_device(result: dict[str, Any] | None) -> None:
    machine = step(result, "machine")
    assert any("QEMU USB Keyboard" in line for line in machine["input_devices"]), machine


def test_the_grade_says_what_was_not_tested(result: dict[str, Any] | None) -> None:
    grade = step(result, "machine")["grade"]
    assert grade["grade"] == "C" and grade["computed"] == "C"
    assert any("essentiel" in reason["fr"] for reason in grade["reasons"])
