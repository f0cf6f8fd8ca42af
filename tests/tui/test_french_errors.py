"""Issue 15: what the engine raises or notes reaches a French trainee in French: a disk
refused by the safety checks once the work began, a damaged bench image, in the
"Pourquoi ?" panel. Pilot at 80 x 25 on loop devices, the real jobs."""

from __future__ import annotations

import subprocess

import pytest

from station.jobs.bench_sequence import Stage
from station.tui.app import StationApp
from tests.block import imaging_support
from tests.block.imaging_support import tools_reason
from tests.conftest import LoopFactory
from tests.tui.conftest import wait_for
from tests.tui.test_flows import MIB, dashboard, make_services, serial_code
from tests.tui.test_image_flow import bench_with_image
from tests.tui.test_stops import gate_at
from tests.tui.test_trust import panel_text

pytestmark = [pytest.mark.tui, pytest.mark.anyio]
loops = imaging_support.loops


HeldAtSmart = gate_at(Stage.SMART)


@pytest.fixture
def read_only_later():
    made: list[str] = []
    yield made
    HeldAtSmart.release.set()
    for device in made:
        subprocess.run(["blockdev", "--setrw", device], check=False)


async def test_a_disk_refused_once_started_says_why_in_french(
    make_loop, tmp_path, read_only_later
) -> None:
    device = make_loop(8 * MIB, name="laptop")
    HeldAtSmart.reached.clear()
    HeldAtSmart.release.clear()
    services = make_services(tmp_path, [device], HeldAtSmart)
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: device in dashboard(app).rows, "disk listed")
        screen = dashboard(app)
        await pilot.press("r", *serial_code(services, device), "enter")
        await wait_for(pilot, HeldAtSmart.reached.is_set, "the SMART stage")
        # Someone flips the disk to read-only while SMART runs: the erase's own safety
        # check refuses it, and the trainee reads why in French.
        read_only_later.append(device)
        subprocess.run(["blockdev", "--setro", device], check=True)
        HeldAtSmart.release.set()
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        assert screen.rows[device].stage is Stage.REFUSED
        await pilot.press("p")
        panel = panel_text(app)
    assert f"{device} refusé :" in panel and "lecture seule" in panel
    assert "refused" not in panel and "Notes techniques" not in panel


@pytest.mark.skipif(bool(tools_reason()), reason=str(tools_reason()))
async def test_a_damaged_bench_image_is_said_in_french(loops: LoopFactory, tmp_path) -> None:
    """The image checks raise before writing; the panel says why in French."""
    _master, target, services = bench_with_image(loops, tmp_path)
    with (tmp_path / "image" / "disk.img.zst").open("ab") as image:
        image.write(b"\0")  # one byte more: the manifest's digest no longer matches
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: target in dashboard(app).rows, "disk listed")
        screen = dashboard(app)
        await pilot.press("r", *serial_code(services, target), "enter")
        await wait_for(pilot, lambda: screen.rows[target].stage.final, "the sequence ends")
        assert screen.rows[target].outcome.deployed is False  # type: ignore[union-attr]
        await pilot.press("p")
        panel = panel_text(app)
    assert "empreinte fausse pour disk.img.zst" in panel and "rien n'a été écrit" in panel
    assert "checksum mismatch" not in panel
