"""The stick pulled while a disk is being erased (issue 20), on real loop devices: the
data partition is a loop-backed filesystem mounted as the data folder. Pulling it makes
every write to it fail with an I/O error (its backing is emptied and the loop's size
drops to 0, as a USB stick gone from the bus); putting it back attaches a copy of what it
held at the pull, on a new loop device with the same filesystem UUID.

The erase finishes, its records wait in memory, the disk shows « en pause : clé
retirée » (never « échec »); when the stick is back Station mounts it again, checks it is
the same journal, writes the records in order, and the chain verifies. A stick with the
same UUID but another bench's journal is refused with a French banner. A chain head file
the pull emptied or left behind (the live tier's FAT lost it) is saved again at the
return, from the journal just checked.

This kernel has no vfat driver: the loop filesystem is ext4 (the live stick's FAT takes
the same path with its own mount options)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.devices.data_medium import DEVICE_ENV, UUID_ENV, DataMedium
from station.devices.runner import SubprocessRunner
from station.domain.image_profile import ImageProfile
from station.domain.progress import ProgressEvent
from station.imaging import frame_list
from station.imaging.deploy_report import DeployReport
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import IMAGE_FILE, CreatedImage, create_raw_image
from station.jobs.bench_sequence import SequenceOutcome, Stage, StageUpdate
from station.jobs.deploy import DeployRequest, run_deploy
from station.journal.head import HEAD_FILE
from station.journal.holding import HoldingJournal
from station.journal.keys import load_or_create_bench_key
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.tui.app import StationApp
from station.tui.screens.dashboard import DashboardScreen
from station.tui.slots import stage_word
from station.wiring import MediumState, Services, StickWatch
from tests.block.imaging_support import write_profile
from tests.tui.conftest import ALL_TIME, wait_for
from tests.tui.test_flows import MARKER, dashboard, make_services, plant_data, serial_code, text_of

pytestmark = [pytest.mark.tui, pytest.mark.anyio]
MIB = 1024 * 1024
UUID = "5a71c0de-0000-4000-8000-000000000020"
REMOVED = "Clé Station retirée : remettez-la, rien n'est perdu"
WRONG = "Ce n'est pas la clé Station de ce banc : remettez celle d'origine, rien n'est perdu"


def sh(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


class Sticks:
    """Loop devices standing for the data partition of one or more sticks (not on the
    bench's allow-list: Station never offers them as disks)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.plugged: list[str] = []
        self.made: list[str] = []

    def attach(self, image: Path) -> str:
        device = sh("losetup", "-f", "--show", str(image))
        self.made.append(device)
        self.plugged.append(device)
        return device

    def new(self, name: str, size: int = 32 * MIB) -> Path:
        image = self.tmp_path / f"{name}.img"
        with image.open("wb") as handle:
            handle.truncate(size)
        device = sh("losetup", "-f", "--show", str(image))
        sh("mkfs.ext4", "-q", "-U", UUID, "-L", "STATION", device)
        sh("losetup", "-d", device)
        return image

    def pull(self, device: str, image: Path, uncache: Path | None = None) -> Path:
        """What the stick holds at the pull is kept aside; the device then fails every
        I/O (size 0), as a stick gone from the USB bus. `uncache`: a file on it whose
        pages the kernel must forget (else its next reads would not even reach the
        stick)."""
        sh("sync")
        if uncache is not None:
            with uncache.open("rb") as handle:
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        kept = image.with_name(image.stem + "-kept.img")
        shutil.copyfile(image, kept)
        image.write_bytes(b"")
        sh("losetup", "-c", device)
        self.plugged.remove(device)
        return kept

    def unplug(self, device: str) -> None:
        self.plugged.remove(device)
        sh("losetup", "-d", device)

    def find(self, uuid: str) -> str | None:
        """Station's search by filesystem UUID, over these loops only (not the host's)."""
        for device in self.plugged:
            probe = subprocess.run(
                ["blkid", "-p", "-o", "value", "-s", "UUID", device], capture_output=True, text=True
            )
            if probe.stdout.strip() == uuid:
                return device
        return None


@pytest.fixture
def sticks(make_loop, tmp_path: Path) -> Iterator[Sticks]:  # make_loop: skips off the block tier
    made = Sticks(tmp_path)
    yield made
    data = tmp_path / "data"
    while subprocess.run(["mountpoint", "-q", str(data)]).returncode == 0:
        subprocess.run(["umount", "-l", str(data)], check=False)
    for device in made.made:
        subprocess.run(["losetup", "-d", device], capture_output=True)


class GatedServices(Services):
    """The real sequence, held at its first erase progress until the test has pulled
    the stick: the pull lands mid-erase whatever the machine's speed."""

    erasing = threading.Event()
    pulled = threading.Event()

    def recondition(  # type: ignore[override]
        self, target: str, operator: str, on_update: Callable[[StageUpdate], None], *args, **kw
    ) -> SequenceOutcome:
        def gated(update: StageUpdate) -> None:
            if update.stage is Stage.ERASING and not self.erasing.is_set():
                self.erasing.set()
                assert self.pulled.wait(60), "the test never pulled the stick"
            on_update(update)

        return super().recondition(target, operator, gated, *args, **kw)


def bench_on_a_stick(
    sticks: Sticks,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    devices: list[str] | None = None,
    cls: type[Services] = Services,
    size: int = 32 * MIB,
) -> tuple[Services, Path, str]:
    """Services whose data folder is a new stick's partition, mounted as on the live
    stick and named in the environment; with the stick's image and loop device."""
    image = sticks.new("stick", size)
    stick = sticks.attach(image)
    data = tmp_path / "data"
    data.mkdir()
    sh("mount", "-o", "rw,noatime", stick, str(data))
    monkeypatch.setenv(DEVICE_ENV, stick)
    monkeypatch.setenv(UUID_ENV, UUID)
    services = make_services(tmp_path, devices or [], cls=cls)
    services.data_medium = DataMedium(
        data, SubprocessRunner(), find=sticks.find, env_file=tmp_path / "env"
    )
    return services, image, stick


def held_count(services: Services) -> int:
    journal = services.journal
    assert isinstance(journal, HoldingJournal), "the screen's journal holds records"
    return journal.held_count()


def another_benchs_stick(sticks: Sticks, tmp_path: Path) -> Path:
    """A stick with the same UUID whose journal is another bench's."""
    image = sticks.new("other")
    device = sh("losetup", "-f", "--show", str(image))
    mnt = tmp_path / "other-mnt"
    mnt.mkdir()
    sh("mount", device, str(mnt))
    try:
        with Journal(mnt / "journal.sqlite3", load_or_create_bench_key(mnt / "keys")):
            pass
    finally:
        sh("umount", str(mnt))
        sh("losetup", "-d", device)
    return image


async def test_a_stick_pulled_mid_erase_pauses_then_its_records_reach_it(
    sticks: Sticks, make_loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = make_loop(8 * MIB, name="laptop")
    backing = plant_data(device)
    services, image, stick = bench_on_a_stick(
        sticks, tmp_path, monkeypatch, [device], GatedServices
    )
    data = services.data_dir
    GatedServices.erasing.clear()
    GatedServices.pulled.clear()
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.press(*"stagiaire-01", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await pilot.press("r")
        await pilot.press(*serial_code(services, device).lower(), "enter")
        await wait_for(pilot, GatedServices.erasing.is_set, "the erase to start")
        before = services.journal.count()  # the session and SMART records, on the stick
        kept = sticks.pull(stick, image)
        GatedServices.pulled.set()

        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the erase to end")
        row = screen.rows[device]
        assert row.stage is Stage.DONE, row.outcome
        assert row.paused, "its records are on no stick yet"
        await wait_for(pilot, lambda: text_of(app, "#medium") == REMOVED, "the banner")
        assert "en pause : clé retirée" in text_of(app, "#notice"), text_of(app, "#notice")
        assert "0 échec" in text_of(app, "#summary"), text_of(app, "#summary")
        assert "1 disque en pause" in text_of(app, "#summary"), text_of(app, "#summary")
        held = held_count(services)
        assert held >= 2, "the erase's records wait in memory"
        await pilot.press("r")
        await pilot.pause()
        assert "le travail attend son retour" in text_of(app, "#notice")
        await pilot.press("ctrl+q")  # quitting now would lose the held records
        await pilot.pause()
        assert app.is_running and "attendent la clé Station" in text_of(app, "#notice")

        # Another stick with the same UUID: refused, the records stay held.
        other = sticks.attach(another_benchs_stick(sticks, tmp_path))
        await wait_for(pilot, lambda: text_of(app, "#medium") == WRONG, "the refusal")
        assert held_count(services) == held and row.paused
        sticks.unplug(other)
        await wait_for(pilot, lambda: text_of(app, "#medium") == REMOVED, "the refusal to go")

        # The right stick back (a new loop device, as a USB stick gets a new name).
        sticks.attach(kept)
        banner = app.screen.query_one("#medium")
        await wait_for(pilot, lambda: not banner.display, "the banner to go")
        await wait_for(pilot, lambda: not row.paused, "the disk to end")
        assert "terminé" in text_of(app, "#notice"), text_of(app, "#notice")
        assert "0 échec" in text_of(app, "#summary"), text_of(app, "#summary")
        assert held_count(services) == 0
    assert MARKER not in backing.read_bytes()[: 2 * MIB]

    # What the stick holds now: every record, in one valid chain (`station verify`).
    with Journal(data / "journal.sqlite3", load_or_create_bench_key(data / "keys")) as journal:
        assert journal.count() == before + held
        kinds = [r.kind for r in journal.records_between(*ALL_TIME)]
        journal.verify()
    assert "overwrite_pass" in kinds and "verification" in kinds, kinds
    env = {"STATION_DATA_DIR": str(data), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    export = tmp_path / "chain.jsonl"
    for argv in (["journal", "export", str(export)], ["verify", str(export)]):
        done = subprocess.run(
            [sys.executable, "-m", "station", *argv], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr


def damage_head_on(image: Path, tmp_path: Path, how: str, older: str) -> None:
    """What a FAT stick pulled just after a head write can come back with: the live
    tier's came back with keys/chain-head.json empty (the kernel's "lost async page
    write", then fsck), or an older head when the rename never reached it."""
    device = sh("losetup", "-f", "--show", str(image))
    mnt = tmp_path / "damage-mnt"
    mnt.mkdir(exist_ok=True)
    sh("mount", device, str(mnt))
    try:
        head = mnt / "keys" / HEAD_FILE
        head.write_text("" if how == "empty" else older, encoding="utf-8")
    finally:
        sh("umount", str(mnt))
        sh("losetup", "-d", device)


def station_journal(data: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {"STATION_DATA_DIR": str(data), "STATION_LANG": "fr", "PATH": "/usr/sbin:/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "station", "journal", *argv], env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def medium_back(services: Services) -> None:
    """Ask as the screens do (each look starts the return in the background)."""
    for _ in range(300):
        if services.medium_state() is MediumState.PRESENT:
            return
        time.sleep(0.2)
    raise AssertionError(f"the stick never came back: {services.medium_state()}")


@pytest.mark.parametrize("how, held", [("empty", 2), ("empty", 0), ("stale", 0)])
def test_the_chain_head_lost_at_the_pull_is_saved_again_at_the_return(
    sticks: Sticks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, held: int
) -> None:
    services, image, stick = bench_on_a_stick(sticks, tmp_path, monkeypatch)
    services.hold_records = True  # as the screen does
    data = services.data_dir
    journal = services.journal
    journal.append(sample_body("disk_seen"))
    older = (data / "keys" / HEAD_FILE).read_text(encoding="utf-8")
    journal.append_many([sample_body("smart_assessment"), sample_body("disk_seen")])
    kept = sticks.pull(stick, image)
    assert services.medium_state() is MediumState.MISSING
    assert len(journal.append_many([sample_body("disk_seen")] * held)) == held
    damage_head_on(kept, tmp_path, how, older)
    sticks.attach(kept)
    medium_back(services)
    assert held_count(services) == 0 and journal.count() == 3 + held
    journal.let_go()

    done = station_journal(data, "check")
    assert done.returncode == 0, done.stderr
    assert f"n° 1 à {3 + held}" in done.stdout, done.stdout  # French: STATION_LANG=fr
    # The head saved again still does its job: the newest record deleted is noticed.
    with Journal(data / "journal.sqlite3", load_or_create_bench_key(data / "keys")) as journal:
        db = journal._db()
        db.execute("DELETE FROM outbox WHERE seq = ?", [3 + held])
        db.execute("DELETE FROM records WHERE seq = ?", [3 + held])
        db.conn.commit()
    done = station_journal(data, "check")
    assert done.returncode != 0 and "des enregistrements ont été supprimés" in done.stderr, (
        done.stderr
    )


# -- a deploy whose image is on the stick -------------------------------------------------

MASTER = 96 * MIB  # random bytes: 12 frames of 8 MiB, all mapped, far more than the
# deploy's 5 buffers, so the pull at its first progress leaves frames still to read


def image_on_the_stick(
    data: Path, tmp_path: Path
) -> tuple[Path, CreatedImage, tuple[ImageProfile, Path]]:
    """A master of random bytes (with a partition table, as any master: the deploy's
    last step reads it) made into a Station image in the stick's images/ folder."""
    master = tmp_path / "master.img"
    master.write_bytes(os.urandom(MASTER))
    subprocess.run(["sfdisk", "-q", str(master)], input="label: dos\n,,L\n", text=True, check=True)
    made = create_raw_image(str(master), data / "images" / "master")
    profile = load_image_profile(str(write_profile(tmp_path, made.folder, made.manifest)))
    return master, made, profile


def deploy_with_a_pull(
    sticks: Sticks,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_loop: Callable[..., str],
    on_the_kept_copy: Callable[[Path, Path], None] | None = None,
    stop: threading.Event | None = None,
) -> tuple[DeployReport, list[ProgressEvent], bytes, str, Services]:
    """Deploy an image read from the stick; pull the stick at the first progress, wait
    for the deploy to say it waits, put the kept copy back (after `on_the_kept_copy`),
    or press stop instead when `stop` is given."""
    services, image, stick = bench_on_a_stick(sticks, tmp_path, monkeypatch, size=256 * MIB)
    services.hold_records = True  # as the screen does
    master, made, (profile, folder) = image_on_the_stick(services.data_dir, tmp_path)
    target = make_loop(MASTER + 8 * MIB, name="target", direct_io=True)
    events: list[ProgressEvent] = []
    kept: list[Path] = []

    def on_event(event: ProgressEvent) -> None:
        events.append(event)
        if event.phase == "deploy" and event.bytes_done and not kept:
            kept.append(sticks.pull(stick, image, uncache=made.folder / IMAGE_FILE))

    request = DeployRequest(
        [target], profile, profile_dir=folder, journal=services.journal,
        stick=StickWatch(services.medium_state),
    )  # fmt: skip
    reports: list[DeployReport] = []
    worker = threading.Thread(
        target=lambda: reports.extend(run_deploy(request, on_event=on_event, cancel=stop))
    )
    worker.start()
    for _ in range(600):
        if any(e.waiting_for_stick for e in events) or not worker.is_alive():
            break
        time.sleep(0.2)
    assert any(e.waiting_for_stick for e in events), "the deploy never waited for the stick"
    if on_the_kept_copy is not None:
        on_the_kept_copy(kept[0], made.folder.relative_to(services.data_dir) / IMAGE_FILE)
    if stop is not None:
        stop.set()
    else:
        sticks.attach(kept[0])
    worker.join(600)
    assert not worker.is_alive() and len(reports) == 1
    return reports[0], events, master.read_bytes(), target, services


class PullAtDeploy(Services):
    """The real sequence; the stick is pulled at the deploy's first progress."""

    pull: Callable[[], None] = staticmethod(lambda: None)

    def recondition(  # type: ignore[override]
        self, target: str, operator: str, on_update: Callable[[StageUpdate], None], *args, **kw
    ) -> SequenceOutcome:
        def pulling(update: StageUpdate) -> None:
            if update.stage is Stage.DEPLOYING and update.fraction:
                self.pull()
                self.pull = lambda: None
            on_update(update)

        return super().recondition(target, operator, pulling, *args, **kw)


async def test_the_disk_row_says_paused_while_its_image_waits_for_the_stick(
    sticks: Sticks, make_loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop = make_loop(MASTER + 8 * MIB, name="laptop")
    services, image, stick = bench_on_a_stick(
        sticks, tmp_path, monkeypatch, [laptop], PullAtDeploy, size=256 * MIB
    )
    assert isinstance(services, PullAtDeploy)
    master, made, services.image = image_on_the_stick(services.data_dir, tmp_path)
    kept: list[Path] = []
    uncache = made.folder / IMAGE_FILE
    services.pull = lambda: kept.append(sticks.pull(stick, image, uncache=uncache))
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        await pilot.press(*"stagiaire-01", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await pilot.press("r", *serial_code(services, laptop).lower(), "enter")
        row = screen.rows[laptop]
        await wait_for(pilot, lambda: row.waiting_for_stick, "the deploy to wait")
        assert row.busy, row.stage
        assert "en pause : clé retirée" in stage_word(row)
        summary = lambda: text_of(app, "#summary")  # noqa: E731
        await wait_for(pilot, lambda: "1 disque en pause" in summary(), "paused in the summary")
        assert "0 échec" in summary() and "0 en cours" in summary(), summary()
        await wait_for(pilot, lambda: text_of(app, "#medium") == REMOVED, "the banner")
        sticks.attach(kept[0])
        await wait_for(pilot, lambda: row.stage.final, "the sequence to end")
        assert row.stage is Stage.DONE, row.outcome
        assert row.outcome is not None and row.outcome.deployed is True
    with open(laptop, "rb") as disk:
        assert disk.read(MASTER) == master.read_bytes()


def test_a_deploy_from_the_pulled_stick_waits_and_goes_on_where_it_stopped(
    sticks: Sticks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_loop
) -> None:
    report, events, master, target, services = deploy_with_a_pull(
        sticks, tmp_path, monkeypatch, make_loop
    )
    assert report.outcome == "deployed", report.reasons
    assert report.verified and not report.mismatched_ranges
    waits = [e.waiting_for_stick for e in events if e.phase == "deploy"]
    assert True in waits and waits[-1] is False, "the screen was told it waits, then not"
    first, last = waits.index(True), len(waits) - waits[::-1].index(True)
    assert all(waits[first:last]), "a tick said it no longer waited while it did"
    assert report.transport is not None and report.transport["frames_verified"] > 0
    assert "pulled 1 time(s)" in str(report.transport["note"])
    with open(target, "rb") as disk:
        assert disk.read(MASTER) == master, "the disk holds the image, every byte"
    # Its record is on the stick, after the ones the return wrote.
    kinds = [r.kind for r in services.journal.records_between(*ALL_TIME)]
    assert kinds == ["image_deploy"], kinds


def test_another_image_on_the_stick_put_back_is_refused_before_it_is_written(
    sticks: Sticks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_loop
) -> None:
    def alter_the_last_frame(kept: Path, image_file: Path) -> None:
        device = sh("losetup", "-f", "--show", str(kept))
        mnt = tmp_path / "alter-mnt"
        mnt.mkdir()
        sh("mount", device, str(mnt))
        try:
            packed = mnt / image_file
            last = frame_list.load(packed.with_name(FRAMES_FILE))[-1].frame
            with packed.open("r+b") as handle:
                handle.seek(last.packed_offset + last.packed_size // 2)
                byte = handle.read(1)
                handle.seek(-1, os.SEEK_CUR)
                handle.write(bytes([byte[0] ^ 0xFF]))
        finally:
            sh("umount", str(mnt))
            sh("losetup", "-d", device)

    report, _, master, target, _ = deploy_with_a_pull(
        sticks, tmp_path, monkeypatch, make_loop, alter_the_last_frame
    )
    assert report.outcome == "failed", report.reasons
    assert any("does not match the frame list" in why for why in report.reasons), report.reasons
    with open(target, "rb") as disk:
        disk.seek(MASTER - 8 * MIB)
        assert disk.read(8 * MIB) != master[-8 * MIB :], "the altered frame was written"


def test_stop_while_the_deploy_waits_for_the_stick_ends_it_cancelled(
    sticks: Sticks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_loop
) -> None:
    report, *_ = deploy_with_a_pull(
        sticks, tmp_path, monkeypatch, make_loop, stop=threading.Event()
    )
    assert report.outcome == "cancelled", report.reasons
    assert any("waiting for the Station stick" in why for why in report.reasons), report.reasons
