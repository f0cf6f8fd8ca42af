"""The functional tests that run by themselves: memory (memtester), storage (the SMART
records already in the journal), camera and microphone presence, Wi-Fi and Bluetooth,
Ethernet link, battery (health, charger, a short discharge measurement).

Each returns one FunctionTest body with an honest status: a tool that is missing or
was cut by its time limit gives `not_tested` with the reason, never `passed`
(docs/functional-tests.md). The tests that need a person (keyboard, screen, speakers,
checklist) are asked on the bench screen; their bodies are built by `answered`.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from station.devices import sysfs
from station.devices.memtest import run_memtester
from station.devices.peripherals import (
    BLACK_PERCENT,
    bluetooth_adapters,
    count_scan_networks,
    frame_argv,
    parse_iw_dev,
    parse_v4l2_devices,
    wired_links,
    yuyv_brightness,
)
from station.devices.power import PowerState
from station.devices.runner import CommandEvidence, Runner
from station.domain.bench_profile import FunctionTestSettings
from station.domain.function_tests import Judge, TestName, TestStatus
from station.domain.record import FunctionTest, HostRef, Measure, ToolRef
from station.errors import CommandError

log = logging.getLogger(__name__)
BAD_SMART = ("failing", "worn_out")


@dataclass(frozen=True)
class Context:
    host: HostRef
    operator: str
    now: Callable[[], datetime]


def result(
    ctx: Context,
    test: TestName,
    status: TestStatus,
    *,
    judged_by: Judge = "automatic",
    evidence: Iterable[CommandEvidence] = (),
    measured: dict[str, Measure] | None = None,
    tool: ToolRef | None = None,
    **said: Any,
) -> FunctionTest:
    commands = [e.to_command_record() for e in evidence]
    if tool is None and commands:
        tool = commands[0].tool
    return FunctionTest(
        created_at=ctx.now(),
        operator=ctx.operator,
        host=ctx.host,
        test=test,
        status=status,
        judged_by=judged_by,
        measured=measured or {},
        tool=tool,
        commands=commands,
        **said,
    )


def answered(
    ctx: Context, test: TestName, question: str, ok: bool, observed: str | None = None,
    measured: dict[str, Measure] | None = None,
) -> FunctionTest:  # fmt: skip
    """A test judged by the operator: the question, the answer, what they saw."""
    answer = f"{question} — {'oui' if ok else 'non'}"
    if ok:
        return result(ctx, test, "passed", judged_by="operator", answer=answer,
                      observed=observed, measured=measured)  # fmt: skip
    return result(ctx, test, "failed", judged_by="operator", answer=answer,
                  observed=observed or "défaut signalé", measured=measured)  # fmt: skip


def skipped(ctx: Context, test: TestName, reason: str) -> FunctionTest:
    """A test the trainee chose not to do, with their reason (shown to the supervisor)."""
    return result(ctx, test, "not_tested", judged_by="operator", reason=reason)


def _missing(ctx: Context, test: TestName, exc: CommandError) -> FunctionTest:
    return result(ctx, test, "not_tested", reason=f"outil absent : {exc.one_line()}")


def check_memory(
    ctx: Context, runner: Runner, settings: FunctionTestSettings, ram_bytes: int | None
) -> FunctionTest:
    """memtester on part of the free memory, stopped at the profile's time limit."""
    size, loops = settings.memory_test_megabytes, settings.memory_test_loops
    try:
        outcome, evidence = run_memtester(runner, size, loops, settings.memory_test_seconds)
    except CommandError as exc:
        return _missing(ctx, "memory", exc)
    measured: dict[str, Measure] = {
        "ram_bytes": ram_bytes, "tested_megabytes": outcome.megabytes_locked,
        "loops": loops, "failures": outcome.failures,
    }  # fmt: skip
    if outcome.failures:
        where = ", ".join(outcome.failed_patterns) or "memtester"
        defect = f"{outcome.failures} erreur(s) mémoire ({where})"
        return result(ctx, "memory", "failed", evidence=[evidence], measured=measured,
                      defects=[defect])  # fmt: skip
    if evidence.timed_out:
        reason = f"arrêté après {settings.memory_test_seconds} s (limite du profil du banc)"
        return result(ctx, "memory", "not_tested", evidence=[evidence], measured=measured,
                      reason=reason)  # fmt: skip
    if not outcome.passed or evidence.returncode != 0:
        reason = f"memtester n'a pas fini son test ({evidence.describe()})"
        return result(ctx, "memory", "not_tested", evidence=[evidence], measured=measured,
                      reason=reason)  # fmt: skip
    return result(ctx, "memory", "passed", evidence=[evidence], measured=measured)


def check_storage(
    ctx: Context, bodies: Iterable[dict[str, Any]], serials: set[str]
) -> FunctionTest:
    """The last SMART verdict and self-test the journal holds for this machine's disks."""
    smart: dict[str, Any] | None = None
    self_test: dict[str, Any] | None = None
    for body in bodies:
        if (body.get("disk") or {}).get("serial") not in serials:
            continue
        if body.get("kind") == "smart_assessment":
            smart = body
        elif body.get("kind") == "self_test":
            self_test = body
    if smart is None:
        reason = "aucun relevé SMART de ce disque : reconditionnez-le d'abord (R)"
        return result(ctx, "storage", "not_tested", reason=reason)
    verdict = smart.get("verdict")
    measured: dict[str, Measure] = {
        "smart_verdict": verdict, "serial": smart["disk"].get("serial"),
        "smart_record": smart.get("record_id"),
        "self_test": self_test.get("status") if self_test else None,
    }  # fmt: skip
    tool = ToolRef(name="smartctl")
    if verdict in BAD_SMART or (self_test or {}).get("status") == "failed":
        said = f"SMART : {verdict}" + (f", autotest {self_test['status']}" if self_test else "")
        return result(ctx, "storage", "failed", measured=measured, defects=[said], tool=tool)
    if verdict == "unknown":
        return result(ctx, "storage", "not_tested", measured=measured, tool=tool,
                      reason="le disque ne donne pas de santé SMART lisible")  # fmt: skip
    return result(ctx, "storage", "passed", measured=measured, tool=tool)


def check_camera(ctx: Context, runner: Runner) -> FunctionTest:
    """A USB (UVC) camera listed by v4l2-ctl, and one frame from it: its brightness is
    recorded; a black frame means a covered or dead camera (failed); no frame read at
    all is not_tested, with v4l2-ctl's words (the tool may be at fault, not the camera)."""
    try:
        evidence = runner.run(["v4l2-ctl", "--list-devices"], timeout=15)
    except CommandError as exc:
        return _missing(ctx, "camera", exc)
    cameras = parse_v4l2_devices(evidence.stdout)
    if not cameras:
        return result(ctx, "camera", "not_present", evidence=[evidence])
    first = cameras[0]
    measured: dict[str, Measure] = {"camera": first.name, "node": first.video_node}
    if first.video_node is None:
        return result(ctx, "camera", "not_tested", evidence=[evidence], measured=measured,
                      reason="la caméra n'a pas de nœud vidéo")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "frame.yuyv"
        try:
            capture = runner.run(frame_argv(first.video_node, target), timeout=20)
        except CommandError as exc:
            return _missing(ctx, "camera", exc)
        frame = target.read_bytes() if target.is_file() else b""
    brightness = yuyv_brightness(frame)
    measured["brightness_percent"] = brightness
    runs = [evidence, capture]
    if brightness is None:
        return result(ctx, "camera", "not_tested", evidence=runs, measured=measured,
                      reason=f"aucune image lue ({capture.describe()})")  # fmt: skip
    if brightness < BLACK_PERCENT:
        return result(ctx, "camera", "failed", evidence=runs, measured=measured,
                      defects=["image noire : caméra masquée ou hors service"])  # fmt: skip
    return result(ctx, "camera", "passed", evidence=runs, measured=measured,
                  observed=f"image lue, luminosité {brightness} %")  # fmt: skip


def check_wireless(ctx: Context, runner: Runner, sys_root: Path = sysfs.SYS) -> FunctionTest:
    """A Wi-Fi adapter that sees networks in a scan (no connection), and Bluetooth."""
    bluetooth = bluetooth_adapters(sys_root)
    try:
        listed = runner.run(["iw", "dev"], timeout=15)
    except CommandError as exc:
        return _missing(ctx, "wireless", exc)
    interfaces = parse_iw_dev(listed.stdout)
    measured: dict[str, Measure] = {
        "wifi": interfaces[0].name if interfaces else None,
        "bluetooth": ", ".join(bluetooth) or None,
    }
    if not interfaces:
        if bluetooth:
            return result(ctx, "wireless", "failed", evidence=[listed], measured=measured,
                          defects=["Bluetooth présent mais pas d'adaptateur Wi-Fi"])  # fmt: skip
        return result(ctx, "wireless", "not_present", evidence=[listed], measured=measured)
    scan = runner.run(["iw", "dev", interfaces[0].name, "scan"], timeout=60)
    networks = count_scan_networks(scan.stdout)
    measured["networks_seen"] = networks
    if not scan.ok and networks == 0:
        return result(ctx, "wireless", "not_tested", evidence=[listed, scan], measured=measured,
                      reason=f"scan Wi-Fi impossible ({scan.describe()})")  # fmt: skip
    if networks == 0:
        return result(ctx, "wireless", "failed", evidence=[listed, scan], measured=measured,
                      defects=["le Wi-Fi ne voit aucun réseau"])  # fmt: skip
    return result(ctx, "wireless", "passed", evidence=[listed, scan], measured=measured)


def ethernet_state(sys_root: Path = sysfs.SYS) -> dict[str, Measure]:
    """The wired ports and whether one has a live cable (part of the ports test)."""
    links = wired_links(sys_root)
    live = [link for link in links if link.carrier]
    return {
        "ethernet_ports": len(links),
        "ethernet_link": live[0].name if live else None,
        "ethernet_mbps": live[0].speed_mbps if live else None,
    }


@dataclass(frozen=True)
class Discharge:
    seconds: float
    start_wh: float
    end_wh: float

    @property
    def watts(self) -> float:
        return (self.start_wh - self.end_wh) * 3600 / self.seconds if self.seconds else 0.0


def measure_discharge(
    read_state: Callable[[], PowerState], runner: Runner, seconds: float
) -> tuple[Discharge | None, str | None]:
    """The charge lost in `seconds` on battery while one core is kept busy (md5sum of
    /dev/zero, stopped by its timeout); (None, reason) when it cannot be measured."""
    before = read_state()
    if not before.batteries or before.batteries[0].energy_wh is None:
        return None, "la batterie ne donne pas sa charge"
    if before.charger_online:
        return None, "le chargeur est branché : débranchez-le pour mesurer la décharge"
    start = before.batteries[0].energy_wh
    load = runner.run(["md5sum", "/dev/zero"], timeout=seconds)
    after = read_state()
    end = after.batteries[0].energy_wh if after.batteries else None
    if end is None or after.charger_online:
        return None, "le chargeur a été rebranché pendant la mesure"
    return Discharge(load.duration_s, start, end), None


def check_battery(
    ctx: Context,
    before: PowerState,
    discharge: Discharge | None,
    settings: FunctionTestSettings,
    not_measured: str | None = None,
) -> FunctionTest:
    """Health, cycles and charger from sysfs, and the discharge measured on battery:
    a full battery that would last less than the profile's minimum under the test's
    load fails. Without a measurement the test is `not_tested`, with the reason."""
    if not before.batteries:
        return result(
            ctx, "battery", "not_present", measured={"charger_online": before.charger_online}
        )
    facts = before.batteries[0].facts
    measured: dict[str, Measure] = {
        "health_percent": facts.health_percent, "cycle_count": facts.cycle_count,
        "design_wh": facts.design_wh, "full_wh": facts.full_wh,
        "charger_online": before.charger_online,
    }  # fmt: skip
    tool = ToolRef(name="sysfs power_supply")
    if discharge is None:
        return result(ctx, "battery", "not_tested", measured=measured, tool=tool,
                      reason=not_measured or "décharge non mesurée")  # fmt: skip
    watts = discharge.watts
    minutes = (facts.full_wh or 0) / watts * 60 if watts > 0 else None
    measured.update(discharge_seconds=round(discharge.seconds), discharge_w=round(watts, 2),
                    minutes_on_full=round(minutes) if minutes is not None else None)  # fmt: skip
    if watts <= 0:
        reason = "la charge n'a pas baissé : le chargeur était-il branché ?"
        return result(ctx, "battery", "not_tested", measured=measured, tool=tool, reason=reason)
    if minutes is not None and minutes < settings.battery_min_minutes:
        defect = (
            f"tiendrait environ {round(minutes)} min (minimum {settings.battery_min_minutes:g})"
        )
        return result(ctx, "battery", "failed", measured=measured, tool=tool, defects=[defect])
    return result(ctx, "battery", "passed", measured=measured, tool=tool)
