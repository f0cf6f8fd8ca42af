"""Every bench flow driven with Pilot at 80 x 25, against the real jobs on loop devices
(SMART read by the real smartctl, real overwrite and read-back, a real journal).

Only the devices make_loop created are offered: the app's disk source is the
allowlist one (STATION_DEVICE_ALLOWLIST is maintained by make_loop)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from textual.widgets import DataTable, Static

from station.devices.udev import Action, DiskEvent
from station.domain.results import Result
from station.jobs.bench_sequence import Stage, StageUpdate
from station.journal.store import Journal
from station.tui.app import StationApp
from station.tui.messages import DiskChanged
from station.tui.screens.dashboard import DashboardScreen
from station.tui.screens.dialogs import BatchConfirmScreen, ConfirmScreen, TextScreen, WhyScreen
from station.tui.screens.supervisor import SupervisorScreen
from station.wiring import Services
from tests.conftest import backing_file
from tests.tui.conftest import (
    ALL_TIME,
    SUPERVISOR_SECRET,
    bench_profile_for,
    fixed_clock,
    wait_for,
)

pytestmark = [pytest.mark.tui, pytest.mark.anyio]

MIB = 1024 * 1024
MARKER = b"user data that must disappear"


def make_services(tmp_path: Path, devices: list[str], cls: type[Services] = Services) -> Services:
    names = [backing_file(d).name for d in devices]
    return cls(data_dir=tmp_path / "data", bench=bench_profile_for(names), clock=fixed_clock)


def plant_data(device: str) -> Path:
    backing = backing_file(device)
    with backing.open("r+b") as handle:
        handle.write(MARKER)
    return backing


def all_zero(path: Path) -> bool:
    with path.open("rb") as handle:
        while chunk := handle.read(MIB):
            if chunk.count(0) != len(chunk):
                return False
    return True


def text_of(app: StationApp, selector: str) -> str:
    return str(app.screen.query_one(selector).content)  # type: ignore[attr-defined]


def dashboard(app: StationApp) -> DashboardScreen:
    screen = app.screen
    assert isinstance(screen, DashboardScreen), screen
    return screen


def serial_code(services: Services, device: str) -> str:
    return services.disks.inspect(device).identity.serial[-4:]  # type: ignore[index]


async def test_single_disk_badge_login_wrong_then_right_code(make_loop, tmp_path):
    device = make_loop(8 * MIB, name="laptop")
    backing = plant_data(device)
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        # A keyboard-wedge badge reader types the code and presses Enter.
        await pilot.press(*"BADGE-stagiaire-02", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        assert "stagiaire-02" in text_of(app, "#title")
        await wait_for(pilot, lambda: device in screen.rows, "the loop device listed")
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*"0000", "enter")
        assert "ne correspond pas" in text_of(app, "#error")
        assert backing.read_bytes()[: len(MARKER)] == MARKER  # nothing written
        await pilot.press(*serial_code(services, device).lower(), "enter")
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        row = screen.rows[device]
        assert row.stage is Stage.DONE, row.outcome
        assert row.outcome is not None and row.outcome.result is Result.CLEARED
        assert "terminé" in text_of(app, "#notice")
    assert all_zero(backing)
    with Journal(services.journal.path, services.journal.key) as journal:
        kinds = [r.kind for r in journal.records_between(*ALL_TIME)]
    # The journal follows time: the session opens, the drive is checked, then erased.
    assert kinds[0] == "disk_seen" and kinds.count("disk_seen") == 1, kinds
    assert kinds.index("smart_assessment") < kinds.index("overwrite_pass"), kinds
    # The erase ends on its verification; then the machine it goes into is recorded.
    assert kinds[-2:] == ["verification", "host_inventory"], kinds


async def test_batch_runs_every_eligible_disk_after_one_confirmation(make_loop, tmp_path):
    devices = [make_loop(4 * MIB, name="laptop") for _ in range(2)]
    refused = make_loop(4 * MIB, name="locked", read_only=True)
    backings = [plant_data(d) for d in devices]
    services = make_services(tmp_path, [*devices, refused])
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: len(screen.rows) == 3, "three disks listed")
        await pilot.press("t")
        confirm = app.screen
        assert isinstance(confirm, BatchConfirmScreen)
        assert sorted(r.path for r in confirm.rows) == sorted(devices)  # the refused one is not
        await pilot.press("3", "enter")
        assert "rien n'a été lancé" in text_of(app, "#error")
        await pilot.press("2", "enter")
        await wait_for(
            pilot, lambda: all(screen.rows[d].stage.final for d in devices), "both disks end"
        )
        assert [screen.rows[d].stage for d in devices] == [Stage.DONE, Stage.DONE]
        assert screen.rows[refused].stage is Stage.REFUSED
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), "batch summary")
        panel = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "Fin du lot" in panel and "2 disques du lot terminés" in panel
        assert "2 terminés · 0 échec" in screen.summary()
        assert "lot 100 %" in screen.summary()
        await pilot.press("escape")
        assert "lot" not in text_of(app, "#summary")  # the batch is over once read
    assert all(all_zero(b) for b in backings)


async def start_gated(app: StationApp, pilot, services: Services, device: str) -> DashboardScreen:
    """Start the sequence on `device` and return once its erase is under way (held)."""
    GatedServices.erasing.clear()
    GatedServices.release.clear()
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
    screen = dashboard(app)
    await wait_for(pilot, lambda: device in screen.rows, "disk listed")
    await pilot.press("r", *serial_code(services, device), "enter")
    await wait_for(pilot, GatedServices.erasing.is_set, "erasing started")
    return screen


@pytest.fixture(autouse=True)
def _never_leave_a_worker_held():
    yield
    GatedServices.release.set()  # a failed test must not keep a worker waiting
    PurgingServices.purge_ends.set()


class GatedServices(Services):
    """Holds the worker at its first real erase progress until the test lets it go, so
    "cancel while erasing" happens while erasing, whatever the machine's speed."""

    erasing = threading.Event()
    release = threading.Event()
    cancels: ClassVar[list[threading.Event]] = []
    held: ClassVar[list[str]] = []  # the disk held at its first erase progress

    def recondition(self, target, operator, on_update, cancel, asset_tag=None, **options):  # type: ignore[override]
        def gated(update: StageUpdate) -> None:
            on_update(update)
            if update.stage is Stage.ERASING and update.fraction and not self.erasing.is_set():
                self.held.append(update.target)
                self.erasing.set()
                # Held until the test releases it or the sequence is cancelled.
                for _ in range(1200):
                    if self.release.wait(0.05) or cancel.is_set():
                        return
                raise AssertionError("the test never released the worker")

        self.cancels.append(cancel)
        return super().recondition(target, operator, gated, cancel, asset_tag, **options)


async def test_cancel_while_erasing_leaves_a_clear_state(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")
    plant_data(device)
    services = make_services(tmp_path, [device], GatedServices)
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await start_gated(app, pilot, services, device)
        kernel_name = Path(device).name  # the watcher's busy set holds kernel names
        assert kernel_name in services.disks.busy
        await pilot.press("a")  # the held worker goes on as soon as it is cancelled
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        assert "arrêté" in text_of(app, "#notice")
        row = screen.rows[device]
        assert row.stage is Stage.CANCELLED
        assert kernel_name not in services.disks.busy
        await pilot.press("p")
        assert isinstance(app.screen, WhyScreen)
        panel = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "PAS entièrement effacé" in panel


async def test_refused_disk_cannot_start_and_why_says_so(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="locked", read_only=True)
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        assert screen.rows[device].stage is Stage.REFUSED
        await pilot.press("r")
        assert not isinstance(app.screen, ConfirmScreen)
        assert "P pour savoir pourquoi" in text_of(app, "#notice")
        await pilot.press("p")
        panel = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "lecture seule" in panel
        await pilot.press("f2")  # the language switch works on an open panel too
        await pilot.pause()
        panel = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "Read-only disk" in panel
        await pilot.press("escape", "f2")


async def test_language_switch_relabels_the_dashboard(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        await wait_for(pilot, lambda: device in dashboard(app).rows, "disk listed")
        assert "Reconditionner" in text_of(app, "KeyBar")
        assert "en attente" in _cell(app, device, "state")
        await pilot.press("f2")
        assert "Recondition " in text_of(app, "KeyBar")
        assert "waiting" in _cell(app, device, "state")
        assert "23/11/2026 09:30" in text_of(app, "#title")  # dd/mm/yyyy, Paris time
        await pilot.press("f2")
        assert "en attente" in _cell(app, device, "state")


async def test_hot_plug_while_busy_adds_a_row_and_keeps_the_work(make_loop, tmp_path):
    first = make_loop(64 * MIB, name="laptop")
    services = make_services(tmp_path, [first], GatedServices)
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await start_gated(app, pilot, services, first)
        second = make_loop(4 * MIB, name="laptop")  # plugged in while the first is busy
        await wait_for(pilot, lambda: second in screen.rows, "the new disk appears")
        assert screen.rows[second].stage is Stage.WAITING
        assert screen.rows[first].busy
        GatedServices.release.set()
        await wait_for(pilot, lambda: screen.rows[first].stage.final, "first disk ends")
        assert screen.rows[first].stage is Stage.DONE
        assert second in screen.rows


async def test_supervisor_signs_the_day(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    services.clock = _now  # the log is today's: records carry the real time
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        await pilot.press("r", *serial_code(services, device), "enter")
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        await pilot.press("s")
        assert isinstance(app.screen, SupervisorScreen)
        supervisor = app.screen
        assert supervisor.daily is not None
        # One disk line; its machine's inventory (written at the end) is a line too.
        assert len([line for line in supervisor.daily.lines if line.disk]) == 1
        assert "pas encore signée" in text_of(app, "#summary")
        await pilot.press("f")  # filter: erased only
        assert "effacés · 1 ligne affichée" in text_of(app, "#summary")
        await pilot.press("f", "f", "f")  # failed only
        assert "échec · 0 ligne affichée" in text_of(app, "#summary")
        await pilot.press("v", *"formateur-01", "enter", *SUPERVISOR_SECRET, "enter", "enter")
        await wait_for(pilot, lambda: app.screen is supervisor, "back on the log")
        assert "signée par formateur-01" in text_of(app, "#summary")
        assert "Journée signée" in text_of(app, "#notice")
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
    with Journal(services.journal.path, services.journal.key) as journal:
        kinds = [r.kind for r in journal.records_between(*ALL_TIME)]
    assert kinds[-1] == "supervisor_signoff"


def _cell(app: StationApp, device: str, column: str) -> str:
    table = app.screen.query_one("#disks", DataTable)
    return str(table.get_cell(device, column))


def _now() -> datetime:
    return datetime.now(UTC)


async def test_unplug_while_busy_keeps_the_row_until_the_job_says_how_it_ended(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")
    services = make_services(tmp_path, [device], GatedServices)
    app = StationApp(services, lang="en", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await start_gated(app, pilot, services, device)
        # What the watcher posts when the kernel reports the disk gone.
        screen.post_message(DiskChanged(DiskEvent(Action.REMOVE, Path(device).name, None)))
        await wait_for(pilot, lambda: screen.rows[device].removed, "marked unplugged")
        assert "unplugged" in _cell(app, device, "state")
        GatedServices.release.set()
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        assert "(unplugged)" in _cell(app, device, "state")
        await pilot.press("p")
        panel = " ".join(str(s.content) for s in app.screen.query(Static))
        assert "unplugged while Station was working" in panel


async def test_quitting_while_erasing_stops_the_work(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")
    services = make_services(tmp_path, [device], GatedServices)
    GatedServices.cancels.clear()
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await start_gated(app, pilot, services, device)
        await pilot.press("ctrl+q")
    [cancel] = GatedServices.cancels
    assert cancel.is_set()  # the worker thread ends at its next block, "cancelled"


async def test_scanning_the_whole_serial_also_confirms(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        serial = services.disks.inspect(device).identity.serial
        assert serial is not None
        await pilot.press("r", *serial[:-1], "enter")  # a truncated scan is refused
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(*serial, "enter")
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        assert screen.rows[device].stage is Stage.DONE


class PurgingServices(Services):
    """Reports what the job reports while a drive purges itself (an unstoppable firmware
    phase), then holds until the operator presses A, then runs the real sequence."""

    purging = threading.Event()
    purge_ends = threading.Event()  # a drive ends its purge on its own, A or not

    def recondition(self, target, operator, on_update, cancel, asset_tag=None, **options):  # type: ignore[override]
        on_update(StageUpdate(target, Stage.ERASING, 0.36, unstoppable=True))
        self.purging.set()
        self.purge_ends.wait(60)
        return super().recondition(target, operator, on_update, cancel, asset_tag, **options)


async def test_a_firmware_purge_says_it_cannot_be_stopped_and_a_explains(make_loop, tmp_path):
    """Issue 13: said as the purge starts, and A explains instead of promising a stop."""
    device = make_loop(8 * MIB, name="laptop")
    services = make_services(tmp_path, [device], PurgingServices)
    PurgingServices.purging.clear()
    PurgingServices.purge_ends.clear()
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        await pilot.press("r", *serial_code(services, device), "enter")
        await wait_for(pilot, PurgingServices.purging.is_set, "the purge reported")
        await wait_for(pilot, lambda: screen.rows[device].unstoppable, "row marked")
        assert "ne peut pas être arrêtée" in text_of(app, "#notice")
        await pilot.press("a")
        assert "se purge lui-même" in text_of(app, "#notice")
        PurgingServices.purge_ends.set()
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        assert screen.rows[device].stage is Stage.CANCELLED  # Station stopped right after
