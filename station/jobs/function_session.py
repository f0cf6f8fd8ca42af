"""One machine's functional tests at the bench: what the "Tests" step of the screen
calls (from worker threads). It reads the machine through injected roots and a runner,
appends each `function_test` record to the journal as soon as the test ends, and
computes the `grade` from the bench profile's rules (docs/functional-tests.md).
"""

from __future__ import annotations

import logging
import struct
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station.devices import sysfs
from station.devices.edid import Panel, read_panels
from station.devices.hostinfo import POWER_SUPPLY, collect_host_facts
from station.devices.peripherals import parse_aplay_list, speakers
from station.devices.power import PowerState, read_power_state
from station.devices.runner import CommandEvidence, Runner
from station.devices.usb_ports import UsbPortWatcher
from station.domain.bench_profile import BenchProfile
from station.domain.function_tests import TestName
from station.domain.grading import GradeDecision, compute_grade, grade_record
from station.domain.host import HostFacts
from station.domain.record import FunctionTest, Grade, HostRef, Measure
from station.errors import CommandError
from station.jobs import function_checks as checks
from station.journal.store import Journal

log = logging.getLogger(__name__)
ALL_TIME = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


@dataclass
class FunctionSession:
    journal: Journal
    bench: BenchProfile
    runner: Runner
    clock: Callable[[], datetime]
    sys_root: Path = sysfs.SYS
    power_supply: Path = POWER_SUPPLY
    host_facts: Callable[[], HostFacts] | None = None
    # Starts counting USB plugs (port names to the callback); returns how to stop.
    usb_watch: Callable[[Callable[[str], None]], Callable[[], None]] | None = None
    _facts: HostFacts | None = field(default=None, init=False)

    @property
    def facts(self) -> HostFacts:
        if self._facts is None:
            reader = self.host_facts or (lambda: collect_host_facts(self.runner))
            self._facts = reader()
        return self._facts

    @property
    def host(self) -> HostRef:
        return self.facts.host

    def context(self, operator: str) -> checks.Context:
        return checks.Context(self.host, operator, self.clock)

    def keep(self, body: FunctionTest) -> FunctionTest:
        """Append the record (signed, chained, queued for sync) before saying it's done."""
        self.journal.append(body)
        log.info("function test %s: %s", body.test, body.status)
        return body

    def bodies(self) -> list[dict[str, Any]]:
        return [r.body() for r in self.journal.records_between(*ALL_TIME)]

    def results(self) -> dict[str, dict[str, Any]]:
        """The last recorded result of each test of this machine."""
        mine = self.host.model_dump(mode="json")
        return {
            str(b["test"]): b
            for b in self.bodies()
            if b.get("kind") == "function_test" and b.get("host") == mine
        }

    # Tests that run by themselves -------------------------------------------------
    def run_automatic(self, test: TestName, operator: str) -> FunctionTest:
        ctx = self.context(operator)
        if test == "memory":
            body = checks.check_memory(ctx, self.runner, self.bench.function_tests,
                                       self.facts.ram_bytes)  # fmt: skip
        elif test == "storage":
            body = checks.check_storage(ctx, self.bodies(), self.disk_serials())
        elif test == "camera":
            body = checks.check_camera(ctx, self.runner)
        elif test == "wireless":
            body = checks.check_wireless(ctx, self.runner, self.sys_root)
        else:
            raise ValueError(f"{test} is not an automatic test")
        return self.keep(body)

    def disk_serials(self) -> set[str]:
        """This machine's disks: seen in it now, or recorded with it after a recondition
        (host_inventory), so the SMART records of the disk it holds are found."""
        serials = {d.serial for d in self.facts.disks if d.serial}
        mine = self.host.model_dump(mode="json")
        for body in self.bodies():
            if body.get("kind") == "host_inventory" and body.get("host") == mine:
                serials |= {d["serial"] for d in body.get("disks", []) if d.get("serial")}
        return serials

    def power(self) -> PowerState:
        return read_power_state(self.power_supply)

    def battery(self, operator: str, measure: bool, reason: str | None = None) -> FunctionTest:
        """Health and charger always; the discharge only when `measure` (charger out)."""
        before = self.power()
        discharge: checks.Discharge | None = None
        why: str | None = reason or "mesure de décharge passée"
        if measure and before.batteries:
            seconds = self.bench.function_tests.discharge_seconds
            discharge, why = checks.measure_discharge(self.power, self.runner, seconds)
        settings = self.bench.function_tests
        return self.keep(checks.check_battery(self.context(operator), before, discharge,
                                              settings, why))  # fmt: skip

    def panel(self) -> Panel | None:
        panels = read_panels(self.sys_root)
        return panels[0] if panels else None

    def ports(self) -> dict[str, Measure]:
        return checks.ethernet_state(self.sys_root)

    def watch_usb(self, on_port: Callable[[str], None]) -> Callable[[], None] | None:
        """Count the USB ports a stick is plugged into; None when udev cannot be heard
        (the question is still asked, the count is then not recorded)."""
        if self.usb_watch is not None:
            return self.usb_watch(on_port)
        watcher = UsbPortWatcher(on_port)
        try:
            watcher.start()
        except (OSError, ImportError, ValueError) as exc:
            log.warning("no USB port count: %s", exc)
            return None
        return watcher.stop

    # Sound -------------------------------------------------------------------------
    def speaker_device(self) -> str | None:
        try:
            listed = self.runner.run(["aplay", "-l"], timeout=15)
        except CommandError:
            return None
        found = speakers(parse_aplay_list(listed.stdout))
        return f"plug{found[0].hw}" if found else None

    def play_sound(self, device: str) -> CommandEvidence:
        """Both channels, once ('Front Left', 'Front Right' spoken by speaker-test).
        The card's mixer is set to ALSA's defaults first (`alsactl init`): a live system
        starts with the outputs muted, and the speakers would stay silent (seen in the
        VM: speaker-test exited 0 and QEMU's speakers got only zeros)."""
        card = device.removeprefix("plughw:").removeprefix("hw:").split(",")[0]
        try:
            init = self.runner.run(["alsactl", "init", card], timeout=15)
            if init.returncode not in (0, 99):  # 99: generic settings, no card profile
                log.warning("alsactl init %s exited %s: %s", card, init.returncode, init.stderr)
        except CommandError as exc:
            log.warning("mixer not set before the sound test: %s", exc.one_line())
        argv = ["speaker-test", "-D", device, "-c", "2", "-t", "wav", "-l", "1"]
        return self.runner.run(argv, timeout=30)

    def microphone_peak(self) -> tuple[float | None, CommandEvidence | None]:
        """One second recorded from the default capture device; its peak in % of full
        scale (None when nothing could be recorded)."""
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "micro.wav"
            argv = ["arecord", "-q", "-d", "1", "-f", "S16_LE", "-r", "16000", "-c", "1",
                    str(target)]  # fmt: skip
            try:
                evidence = self.runner.run(argv, timeout=15)
            except CommandError:
                return None, None
            return wav_peak_percent(target), evidence

    # Records -----------------------------------------------------------------------
    def record(self, body: FunctionTest) -> FunctionTest:
        return self.keep(body)

    def decision(self) -> GradeDecision:
        tests = [FunctionTest.model_validate(b) for b in self.results().values()]
        return compute_grade(tests, self.bench.grades)

    def grade(self, operator: str, override: tuple[str, str, str] | None = None) -> Grade:
        """The grade of the recorded results, signed; `override` = (code, supervisor,
        reason) once the supervisor proved who they are."""
        body = grade_record(
            self.decision(), self.bench.grades, host=self.host, operator=operator,
            created_at=self.clock(), bench=self.bench.name, override=override,
        )  # fmt: skip
        self.journal.append(body)
        return body


def wav_peak_percent(path: Path) -> float | None:
    """The loudest sample of a 16-bit WAV file, in % of full scale."""
    try:
        with wave.open(str(path), "rb") as sound:
            if sound.getsampwidth() != 2:
                return None
            frames = sound.readframes(sound.getnframes())
    except (OSError, EOFError, wave.Error):
        return None
    count = len(frames) // 2
    if count == 0:
        return None
    samples: tuple[int, ...] = struct.unpack(f"<{count}h", frames[: count * 2])
    loudest = max(abs(sample) for sample in samples)
    return round(loudest / 32768 * 100, 1)
