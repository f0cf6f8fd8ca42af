"""The full bench sequence with an image profile: SMART -> clear -> verification ->
image deploy -> records, driven from the dashboard on real loop devices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from station.domain.bench_profile import SimulatedHost
from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import create_raw_image
from station.jobs.bench_sequence import Stage
from station.journal.store import Journal
from station.reports.fiche import fiche_of
from station.tui.app import StationApp
from station.tui.screens.dashboard import DashboardScreen
from station.tui.screens.dialogs import ConfirmScreen, PromptScreen
from station.tui.slots import DiskRow
from station.wiring import Services
from tests.block import imaging_support
from tests.block.imaging_support import (
    MIB,
    build_master,
    mounted_ro,
    tools_reason,
    write_profile,
)
from tests.conftest import LoopFactory, backing_file
from tests.tui.conftest import ALL_TIME, bench_profile_for, fixed_clock, wait_for

pytestmark = [
    pytest.mark.tui,
    pytest.mark.anyio,
    pytest.mark.skipif(bool(tools_reason()), reason=str(tools_reason())),
]
loops = imaging_support.loops


def bench_with_image(
    loops: LoopFactory,
    tmp_path: Path,
    cls: type[Services] = Services,
    bench: dict[str, Any] | None = None,
    **profile: Any,
) -> tuple[imaging_support.Master, str, Services]:
    """A master disk made into a Station image, a bench whose image profile it is, and
    the laptop disk that bench will recondition."""
    master = build_master(loops(96 * MIB, name="master"), tmp_path)
    made = create_raw_image(master.device, tmp_path / "image")
    profile_file = write_profile(tmp_path, made.folder, made.manifest, **profile)
    target = loops(128 * MIB, name="laptop")
    services = cls(
        data_dir=tmp_path / "data",
        bench=bench_profile_for([backing_file(target).name], **(bench or {})),
        clock=fixed_clock,
        image=load_image_profile(str(profile_file)),
    )
    return master, target, services


async def recondition_on_screen(
    app: StationApp, pilot: Any, services: Services, target: str
) -> tuple[DashboardScreen, DiskRow]:
    """From the dashboard: the target listed, reconditioned with its serial's last four
    characters typed, and waited for until its sequence ends."""
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
    screen = app.screen
    assert isinstance(screen, DashboardScreen)
    await wait_for(pilot, lambda: target in screen.rows, "target listed")
    serial = services.disks.inspect(target).identity.serial
    assert serial is not None
    await pilot.press("r", *serial[-4:], "enter")
    await wait_for(pilot, lambda: screen.rows[target].stage.final, "the sequence ends")
    return screen, screen.rows[target]


async def test_recondition_deploys_the_bench_image(loops: LoopFactory, tmp_path: Path) -> None:
    master, target, services = bench_with_image(loops, tmp_path)
    app = StationApp(services, lang="en", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen, row = await recondition_on_screen(app, pilot, services, target)
        assert "image: test-image" in str(screen.query_one("#sync", Static).content)
        assert row.stage is Stage.DONE, row.outcome
        assert row.outcome is not None and row.outcome.deployed is True
    imaging_support.refresh(target)
    with mounted_ro(f"{target}p2") as root:
        for name, data in master.root_files.items():
            if not name.startswith("etc/"):
                assert (root / name).read_bytes() == data, name
    with Journal(services.journal.path, services.journal.key) as journal:
        kinds = [r.kind for r in journal.records_between(*ALL_TIME)]
    assert kinds.index("verification") < kinds.index("image_deploy")


async def test_an_image_named_after_the_asset_tag_asks_for_the_tag_first(
    loops: LoopFactory, tmp_path: Path
) -> None:
    _, target, services = bench_with_image(
        loops, tmp_path, post_deploy={"hostname_from_asset_tag": True}
    )
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await wait_for(pilot, lambda: target in screen.rows, "target listed")
        await pilot.press("t")  # a batch cannot start while a computer has no asset tag
        assert "il manque" in str(screen.query_one("#notice", Static).content)
        await pilot.press("r")
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"EPN-0042", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        serial = services.disks.inspect(target).identity.serial
        assert serial is not None
        await pilot.press(*serial[-4:], "enter")
        await wait_for(pilot, lambda: screen.rows[target].stage.final, "the sequence ends")
        row = screen.rows[target]
        assert row.stage is Stage.DONE, row.outcome
        # The finished row says what was installed and the computer's name.
        table = screen.query_one("#disks", DataTable)
        assert "EPN-0042" in str(table.get_cell(target, "state"))
        installed = str(table.get_cell(target, "progress"))
        assert "image test-image" in installed and "nom epn-0042" in installed
    imaging_support.refresh(target)
    with mounted_ro(f"{target}p2") as root:
        assert (root / "etc" / "hostname").read_text().strip() == "epn-0042"
    # The tag typed on the bench screen is in the wipe's own signed record (the
    # certificate's asset tag), not only in the deploy's.
    with Journal(services.journal.path, services.journal.key) as journal:
        seen = [r.body() for r in journal.records_between(*ALL_TIME) if r.kind == "disk_seen"]
    assert seen[-1]["asset_tag"] == "EPN-0042"


async def test_a_failed_deploy_after_the_erasure_keeps_the_erasure_on_the_fiche(
    loops: LoopFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image is damaged after the profile was read: the erasure succeeds, the deploy
    fails. The machine's fiche must still show the disk's erasure (its host record names
    the disk), and the row must say failed, never deployed."""
    # The machine needs a name for its fiche: the simulated bench's (no firmware here).
    monkeypatch.setenv("STATION_SIMULATED_BENCH", "1")
    _, target, services = bench_with_image(
        loops, tmp_path, bench={"simulated_host": SimulatedHost(asset_tag="EPN-0099")}
    )
    packed = tmp_path / "image" / "disk.img.zst"
    data = bytearray(packed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    packed.write_bytes(bytes(data))
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        _, row = await recondition_on_screen(app, pilot, services, target)
        assert row.stage is Stage.FAILED, row.outcome
        assert row.outcome is not None and row.outcome.deployed is not True
        assert row.outcome.result is not None and row.outcome.result.ok
    with Journal(services.journal.path, services.journal.key) as journal:
        hosts = [r.body() for r in journal.records_between(*ALL_TIME) if r.kind == "host_inventory"]
        assert hosts, "no host record: the fiche would not show the erasure"
        assert hosts[-1]["host"]["asset_tag"] == "EPN-0099"
        fiche = fiche_of(journal, "EPN-0099")
    assert [e.serial for e in fiche.erasures] == [services.disks.inspect(target).identity.serial]
    assert fiche.erasures[0].result in ("cleared", "purged")
