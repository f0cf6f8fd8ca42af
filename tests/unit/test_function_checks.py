"""The automatic functional tests end with an honest status: real memtester on this
machine, recorded outputs of real machines for the rest (tests/fixtures/functions)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.devices.power import BatteryNow, PowerState, power_state_of
from station.devices.runner import CommandEvidence, SubprocessRunner
from station.domain.bench_profile import FunctionTestSettings
from station.domain.host import Battery
from station.domain.record import HostRef
from station.errors import CommandError
from station.jobs.function_checks import (
    Context,
    Discharge,
    answered,
    check_battery,
    check_camera,
    check_memory,
    check_storage,
    check_wireless,
    measure_discharge,
    skipped,
)
from station.journal.samples import sample_body

FUNCTIONS = Path(__file__).resolve().parents[1] / "fixtures" / "functions"
HOST_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "host"
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CTX = Context(HostRef(manufacturer="LENOVO", serial="PF0ABCDE"), "op-1", lambda: T0)


Answers = dict[tuple[str, ...], tuple[str | None, int | None]]


class Outputs:
    """Answers each argv with a recorded output (a file name) or raises like a missing tool."""

    def __init__(
        self,
        answers: dict[tuple[str, ...], tuple[str | None, int | None]],
        frame: bytes | None = None,
    ) -> None:
        self.answers = answers
        self.frame = frame  # what the camera gives to `v4l2-ctl --stream-to=FILE`
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        key = tuple(argv)
        self.calls.append(key)
        target = next((a.split("=", 1)[1] for a in key if a.startswith("--stream-to=")), None)
        if target is not None and self.frame is not None:
            Path(target).write_bytes(self.frame)
            return CommandEvidence(key, 0, "", "", T0, T0)
        if target is not None:
            return CommandEvidence(
                key, 255, "", "VIDIOC_STREAMON returned -1 (No space left on device)", T0, T0
            )
        if key not in self.answers:
            raise CommandError(f"{argv[0]}: not found")
        name, code = self.answers[key]
        stdout = (FUNCTIONS / name).read_text() if name else ""
        return CommandEvidence(key, code, stdout, "", T0, T0 + timedelta(seconds=2),
                               timed_out=code is None)  # fmt: skip


@pytest.mark.skipif(shutil.which("memtester") is None, reason="memtester is not installed")
def test_memtester_really_runs_on_a_few_megabytes_of_this_machine() -> None:
    settings = FunctionTestSettings(memory_test_megabytes=2, memory_test_seconds=120)
    record = check_memory(CTX, SubprocessRunner(), settings, ram_bytes=8 << 30)
    assert record.status == "passed", record
    assert record.measured["failures"] == 0 and record.measured["tested_megabytes"] == 2
    assert record.tool is not None and record.tool.name == "memtester"
    assert record.commands[0].argv == ["memtester", "2M", "1"]


def test_memory_errors_fail_and_a_cut_or_missing_run_is_not_a_pass() -> None:
    settings = FunctionTestSettings(memory_test_megabytes=1400, memory_test_loops=1)
    argv = ("memtester", "1400M", "1")
    failing = Outputs({argv: ("memtester/allwinner-1400M-solid-bits-failure.txt", 4)})
    record = check_memory(CTX, failing, settings, None)
    assert (record.status, record.defects) == ("failed", ["4 erreur(s) mémoire (Solid Bits)"])
    timed_out = check_memory(
        CTX, Outputs({argv: ("aplay/puppy-hda-ati-sb-alc883.txt", None)}), settings, None
    )
    assert timed_out.status == "not_tested" and "limite du profil" in (timed_out.reason or "")
    missing = check_memory(CTX, Outputs({}), settings, None)
    assert missing.status == "not_tested" and "outil absent" in (missing.reason or "")


def test_storage_comes_from_the_smart_records_of_this_machines_disk() -> None:
    smart = sample_body("smart_assessment")
    serial = smart["disk"]["serial"]
    passed = check_storage(CTX, [smart, sample_body("self_test")], {serial})
    assert (passed.status, passed.measured["smart_verdict"]) == ("passed", "healthy")
    failing = check_storage(CTX, [{**smart, "verdict": "failing"}], {serial})
    assert failing.status == "failed" and failing.defects == ["SMART : failing"]
    other_disk = check_storage(CTX, [smart], {"ANOTHER"})
    assert other_disk.status == "not_tested" and "reconditionnez" in (other_disk.reason or "")


def test_camera_present_its_frame_black_or_lit_or_none() -> None:
    argv = ("v4l2-ctl", "--list-devices")
    listed: Answers = {argv: ("v4l2/laptop-integrated-webcam-and-usb-4k.txt", 0)}
    # A YUYV frame: luma, chroma, luma, chroma... mid-grey lit, then all black.
    lit = check_camera(CTX, Outputs(listed, frame=bytes([128, 128] * 640 * 480)))
    assert (lit.status, lit.measured["brightness_percent"]) == ("passed", 50.2)
    assert lit.measured["camera"] == "Integrated_Webcam_HD: Integrate"
    assert lit.commands[1].argv[:3] == ["v4l2-ctl", "-d", "/dev/video0"]
    black = check_camera(CTX, Outputs(listed, frame=bytes([0, 128] * 640 * 480)))
    assert black.status == "failed" and black.defects == [
        "image noire : caméra masquée ou hors service"
    ]
    none = check_camera(CTX, Outputs(listed))
    assert none.status == "not_tested" and "No space left on device" in (none.reason or "")
    # v4l2-ctl with no camera says "Cannot open device /dev/video0, exiting." and exits 1.
    assert check_camera(CTX, Outputs({argv: (None, 1)})).status == "not_present"


def test_wireless_sees_networks_or_says_why_not(tmp_path: Path) -> None:
    dev = ("iw", "dev")
    scan = ("iw", "dev", "wlan1", "scan")
    seen = check_wireless(
        CTX,
        Outputs(
            {dev: ("iw/dev-two-phys-b43-rt2800usb.txt", 0), scan: ("iw/scan-26-networks.txt", 0)}
        ),
        tmp_path,
    )
    assert (seen.status, seen.measured["networks_seen"]) == ("passed", 26)
    assert [c.argv for c in seen.commands] == [list(dev), list(scan)]
    nothing = check_wireless(
        CTX, Outputs({dev: ("iw/dev-two-phys-b43-rt2800usb.txt", 0), scan: (None, 0)}), tmp_path
    )
    assert nothing.status == "failed" and nothing.defects == ["le Wi-Fi ne voit aucun réseau"]
    refused = check_wireless(
        CTX, Outputs({dev: ("iw/dev-two-phys-b43-rt2800usb.txt", 0), scan: (None, 255)}), tmp_path
    )
    assert refused.status == "not_tested" and "scan Wi-Fi impossible" in (refused.reason or "")
    # No nl80211 (no Wi-Fi driver): `iw dev` exits 1 with nothing listed.
    assert check_wireless(CTX, Outputs({dev: (None, 1)}), tmp_path).status == "not_present"


def _state(energy_wh: float | None, charger: bool | None) -> PowerState:
    facts = Battery(name="BAT0", source="sysfs", full_wh=52.26, design_wh=60.0,
                    health_percent=87.1)  # fmt: skip
    return PowerState([BatteryNow(facts, "Discharging", energy_wh)], charger)


def test_battery_discharge_under_load_is_measured_and_judged() -> None:
    states = iter([_state(26.66, False), _state(26.06, False)])
    load = Outputs({("md5sum", "/dev/zero"): (None, None)})  # stopped by its timeout
    discharge, why = measure_discharge(lambda: next(states), load, 120)
    assert why is None and discharge is not None
    # 0.6 Wh in 2 s (the fake load's duration) is 1080 W: a full battery lasts 3 minutes.
    record = check_battery(CTX, _state(26.66, False), discharge, FunctionTestSettings())
    assert record.status == "failed" and record.defects == ["tiendrait environ 3 min (minimum 60)"]
    slow = Discharge(seconds=120, start_wh=26.66, end_wh=26.40)  # 7.8 W
    good = check_battery(CTX, _state(26.66, False), slow, FunctionTestSettings())
    assert (good.status, good.measured["minutes_on_full"], good.measured["discharge_w"]) == (
        "passed", 402, 7.8,
    )  # fmt: skip


def test_a_battery_not_measured_says_why_and_a_desktop_has_none() -> None:
    plugged, why = measure_discharge(lambda: _state(26.66, True), Outputs({}), 120)
    assert plugged is None and "débranchez-le" in (why or "")
    record = check_battery(CTX, _state(26.66, True), None, FunctionTestSettings(), why)
    assert record.status == "not_tested" and record.measured["health_percent"] == 87.1
    real = (HOST_FIXTURES / "power_supply/BAT0-uevent-lenovo-l14m4p23-charging.txt").read_text()
    assert power_state_of([real]).batteries[0].energy_wh == 26.66
    desktop = check_battery(CTX, PowerState([], None), None, FunctionTestSettings())
    assert desktop.status == "not_present"


def test_operator_answers_and_skips_are_recorded_as_such() -> None:
    seen = answered(CTX, "screen", "Blanc : l'écran est-il uniforme ?", False, "pixel mort en haut")
    assert (seen.status, seen.judged_by, seen.observed) == (
        "failed",
        "operator",
        "pixel mort en haut",
    )
    assert seen.answer == "Blanc : l'écran est-il uniforme ? — non"
    skip = skipped(CTX, "camera", "cache de la caméra collé, pas de tournevis")
    assert (skip.status, skip.reason) == (
        "not_tested",
        "cache de la caméra collé, pas de tournevis",
    )
