"""Issue 15: a disk stopped at any stage of the bench sequence (A, or quitting) is
recorded as stopped, with the stage, in the journal; the screen, the certificate and the
supervisor's log say what that stage left on the disk. Pilot at 80 x 25 on loop devices,
the real jobs and a real journal."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

import pytest

from station.domain.certificate import certificate_facts
from station.jobs.bench_sequence import Stage, StageUpdate
from station.journal.store import Journal
from station.reports.daily_log import build_daily_log
from station.tui import i18n
from station.tui.app import StationApp
from station.tui.screens.dashboard import DashboardScreen
from station.tui.screens.supervisor import line_details
from station.wiring import Services
from tests.block import imaging_support
from tests.block.imaging_support import tools_reason
from tests.conftest import LoopFactory, backing_file
from tests.tui.conftest import ALL_TIME, bench_profile_for, fixed_clock, wait_for
from tests.tui.test_flows import MARKER, MIB, dashboard, plant_data, serial_code
from tests.tui.test_image_flow import bench_with_image
from tests.tui.test_trust import panel_text

pytestmark = [pytest.mark.tui, pytest.mark.anyio]
loops = imaging_support.loops


class StageGate(Services):
    """Holds the worker at its first progress of `hold_at` until the disk is stopped (or
    the test releases it), so what the test does lands in that stage whatever the
    machine's speed."""

    hold_at: ClassVar[Stage] = Stage.SMART
    reached: ClassVar[threading.Event] = threading.Event()
    release: ClassVar[threading.Event] = threading.Event()

    def recondition(self, target, operator, on_update, cancel, asset_tag=None, **options):  # type: ignore[override]
        def gated(update: StageUpdate) -> None:
            on_update(update)
            if update.stage is self.hold_at and not self.reached.is_set():
                self.reached.set()
                for _ in range(1200):
                    if cancel.wait(0.05) or self.release.is_set():
                        return
                raise AssertionError("the test never stopped the disk")

        return super().recondition(target, operator, gated, cancel, asset_tag, **options)


def gate_at(stage: Stage) -> type[StageGate]:
    events = {"reached": threading.Event(), "release": threading.Event()}
    return type(f"Gate{stage.name}", (StageGate,), {"hold_at": stage, **events})


def bodies(services: Services) -> list[dict[str, Any]]:
    with Journal(services.journal.path, services.journal.key) as journal:
        return [r.body() for r in journal.records_between(*ALL_TIME)]


async def stop_during(app: StationApp, pilot, services: StageGate, device: str) -> DashboardScreen:
    """Start `device`, press A once the gate holds it, and wait for the stop to end it."""
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
    screen = dashboard(app)
    await wait_for(pilot, lambda: device in screen.rows, "disk listed")
    await pilot.press("r", *serial_code(services, device), "enter")
    await wait_for(pilot, services.reached.is_set, f"the {services.hold_at} stage")
    assert screen.rows[device].stage is services.hold_at
    await pilot.press("a")
    await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
    assert screen.rows[device].stage is Stage.CANCELLED
    return screen


@pytest.mark.parametrize(
    ("stage", "recorded", "said"),
    [
        (Stage.SMART, "smart", "rien n'a été écrit sur le disque"),
        (Stage.ERASING, "erase", "le disque n'est PAS entièrement effacé"),
        (Stage.VERIFYING, "verification", "l'effacement n'est PAS prouvé"),
    ],
)
async def test_a_disk_stopped_at_each_stage_is_recorded_as_stopped(
    make_loop, tmp_path, stage: Stage, recorded: str, said: str
) -> None:
    device = make_loop(64 * MIB, name="laptop")
    backing = plant_data(device)
    cls = gate_at(stage)
    services = cls(
        data_dir=tmp_path / "data",
        bench=bench_profile_for([backing_file(device).name]),
        clock=fixed_clock,
    )
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await stop_during(app, pilot, services, device)
        assert "1 arrêté" in str(screen.query_one("#summary").content)  # type: ignore[attr-defined]
        await pilot.press("p")
        panel = panel_text(app)
        assert said in panel and "Relancez-le pour terminer" in panel
        assert "destruction" not in panel
    found = bodies(services)
    stop = found[-1]
    assert stop["kind"] == "work_cancelled", [b["kind"] for b in found]
    assert (stop["stage"], stop["requested_by"]) == (recorded, "stop_key")
    assert stop["operator"] == "stagiaire-01" and stop["disk"]["serial"] == "TST0001X0Z9"
    if stage is Stage.SMART:
        assert backing.read_bytes()[: len(MARKER)] == MARKER  # nothing was written
        assert not [b for b in found if b["kind"] == "overwrite_pass"]
    # Not erased, not failed: the certificate and the supervisor's log say so.
    session = found[[b["kind"] for b in found].index("disk_seen") :]
    assert certificate_facts(session)["stopped"] is True
    lines = build_daily_log("bench", fixed_clock().date(), found).lines
    [line] = [one for one in lines if one.disk]  # the other is the machine's record
    assert line.stopped and "work_cancelled" in line.steps
    assert any("arrêté à la demande" in reason.fr for reason in line.failures)


@pytest.mark.skipif(bool(tools_reason()), reason=str(tools_reason()))
async def test_a_disk_stopped_during_its_image_is_erased_and_its_deploy_cancelled(
    loops: LoopFactory, tmp_path: Path
) -> None:
    _master, target, services = bench_with_image(loops, tmp_path, gate_at(Stage.DEPLOYING))
    assert isinstance(services, StageGate)
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await stop_during(app, pilot, services, target)
        await pilot.press("p")
        panel = panel_text(app)
        assert "le disque est effacé, mais sans image" in panel
        assert "PAS entièrement effacé" not in panel and "destruction" not in panel
    found = bodies(services)
    kinds = [b["kind"] for b in found]
    # The erased disk is recorded with its machine (so the fiche shows the erasure).
    assert kinds[-3:] == ["image_deploy", "work_cancelled", "host_inventory"], kinds
    deploy, stop = found[-3:-1]
    assert deploy["outcome"] == "cancelled" and deploy["image_name"] == "test-image"
    assert (stop["stage"], stop["requested_by"]) == ("image_deploy", "stop_key")
    # The erase before it stands: the certificate says cleared, not stopped.
    facts = certificate_facts(found[kinds.index("disk_seen") :])
    assert (facts["result"], facts["stopped"]) == ("cleared", False)
    lines = build_daily_log("bench", fixed_clock().date(), found).lines
    [line] = [one for one in lines if one.disk]  # the other is the machine's record
    assert line.stopped and line.result == "cleared"
    assert any("disque effacé, sans image" in reason.fr for reason in line.failures)
    i18n.set_language("fr")  # what the supervisor reads on opening the line
    assert "Arrêté à la demande : effacé, mais pas terminé. Relancez-le." in line_details(line)
