"""Run inside the VM: the functional tests' automatic part against QEMU's emulated
devices, with the real tools (memtester, aplay/speaker-test/arecord, iw, v4l2-ctl) and
the VM's own sysfs. QEMU gives an intel-hda sound card (hda-duplex codec) and a USB
keyboard; no battery, no camera, no Wi-Fi, no panel EDID: those must come out
not_present (never passed), and the memory test must really run memtester.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import vmlib

from station.devices.runner import SubprocessRunner
from station.domain.bench_profile import FunctionTestSettings, default_bench
from station.domain.host import HostFacts
from station.domain.record import HostRef
from station.jobs.function_session import FunctionSession
from station.journal.keys import load_or_create_bench_key
from station.journal.store import Journal

RESULT: dict[str, Any] = {}
WORK = Path("/run/station-vm/functions")


def session() -> FunctionSession:
    WORK.mkdir(parents=True, exist_ok=True)
    key = load_or_create_bench_key(WORK / "keys", bench_id="bench-vm")
    bench = default_bench().model_copy(
        update={"function_tests": FunctionTestSettings(memory_test_megabytes=16)}
    )
    return FunctionSession(
        Journal(WORK / "journal.sqlite3", key), bench, SubprocessRunner(),
        lambda: datetime.now(UTC),
        host_facts=lambda: HostFacts(host=HostRef(serial="VM-FUNCTIONS-01")),
    )  # fmt: skip


def summary(body: Any) -> dict[str, Any]:
    return {
        "status": body.status, "reason": body.reason, "defects": body.defects,
        "measured": body.measured, "argv": [c.argv for c in body.commands],
        "exit_codes": [c.exit_code for c in body.commands],
    }  # fmt: skip


def automatic(tests: FunctionSession) -> dict[str, Any]:
    return {
        name: summary(tests.run_automatic(name, "vm"))  # type: ignore[arg-type]
        for name in ("memory", "camera", "wireless", "storage")
    }


def sound(tests: FunctionSession) -> dict[str, Any]:
    device = tests.speaker_device()
    played = tests.play_sound(device) if device else None
    peak, recorded = tests.microphone_peak()
    return {
        "aplay": vmlib.run(["aplay", "-l"])["stdout"],
        "device": device,
        "played_rc": played.returncode if played else None,
        "played_stderr": played.stderr[-500:] if played else None,
        "microphone_peak": peak,
        "recorded_rc": recorded.returncode if recorded else None,
    }


def machine(tests: FunctionSession) -> dict[str, Any]:
    battery = tests.battery("vm", measure=True)
    panel = tests.panel()
    keyboards = [
        line for line in Path("/proc/bus/input/devices").read_text().splitlines()
        if line.startswith("N: Name=")
    ]  # fmt: skip
    return {
        "battery": summary(battery),
        "panel": panel.resolution if panel else None,
        "input_devices": keyboards,
        "grade": tests.grade("vm").model_dump(mode="json"),
    }


def main() -> None:
    tests = session()
    vmlib.run_step(RESULT, "automatic", lambda: automatic(tests))
    vmlib.run_step(RESULT, "sound", lambda: sound(tests))
    vmlib.run_step(RESULT, "machine", lambda: machine(tests))
    vmlib.save(RESULT)


if __name__ == "__main__":
    main()
