"""Issue 15: who signs, who works, and a disk's state never misstated. Driven with Pilot
at 80 x 25 against the real jobs on loop devices and a real journal."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from pypdf import PdfReader
from textual.widgets import DataTable, Input, OptionList, Static

from station.domain.bench_profile import BenchProfile
from station.jobs.bench_sequence import Stage, StageUpdate
from station.journal.keys import KEY_DIR_NAME
from station.journal.samples import sample_body
from station.journal.store import Journal
from station.reports.certificate import build_certificate
from station.reports.certificate_pdf import certificate_pdf
from station.reports.daily_log import build_daily_log
from station.tui import i18n
from station.tui.app import StationApp
from station.tui.screens.dashboard import DashboardScreen
from station.tui.screens.dialogs import (
    ConfirmScreen,
    PromptScreen,
    QuitScreen,
    TextScreen,
    UnfreezeScreen,
)
from station.tui.screens.login import LoginScreen
from station.tui.screens.signoff import SignOffScreen
from station.tui.screens.supervisor import SupervisorScreen, line_details, matches
from station.tui.slots import overall_fraction
from station.wiring import Services
from station.yamlfile import load_model
from tests import cups_server
from tests.cups_server import CupsQueue
from tests.tui.conftest import ALL_TIME, SUPERVISOR_SECRET, wait_for
from tests.tui.test_flows import (
    MIB,
    GatedServices,
    _now,
    dashboard,
    make_services,
    plant_data,
    serial_code,
    start_gated,
    text_of,
)

cups_queue = cups_server.cups_queue  # a real CUPS scheduler of the test's own

pytestmark = [pytest.mark.tui, pytest.mark.anyio]


def panel_text(app: StationApp) -> str:
    return " ".join(str(s.content) for s in app.screen.query(Static))


def records(services) -> list:
    with Journal(services.journal.path, services.journal.key) as journal:
        return list(journal.records_between(*ALL_TIME))


async def finish_one(app: StationApp, pilot, services, device: str) -> DashboardScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
    screen = dashboard(app)
    await wait_for(pilot, lambda: device in screen.rows, "disk listed")
    await pilot.press("r", *serial_code(services, device), "enter")
    await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
    return screen


# -- who signs -------------------------------------------------------------------------


async def test_only_a_supervisor_with_the_secret_signs_and_nobody_is_named(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    services.clock = _now
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await finish_one(app, pilot, services, device)
        before = len(records(services))
        await pilot.press("s", "v")
        assert isinstance(app.screen, SignOffScreen)
        # A trainee's id with a guessed code, then the supervisor's id with a wrong one.
        for who, secret in (("stagiaire-01", "1234"), ("formateur-01", "0000")):
            app.screen.query_one("#who", Input).value = ""
            await pilot.press(*who, "enter", *secret, "enter", "enter")
            error = text_of(app, "#error")
            assert error == "Identifiant ou code incorrect : rien n'a été signé."
            assert "formateur" not in panel_text(app)  # never says who may sign
            assert app.screen.query_one("#secret", Input).value == ""
        assert len(records(services)) == before
        # The badge path, the right secret and a comment.
        app.screen.query_one("#who", Input).value = ""
        await pilot.press(*"BADGE-formateur-01", "enter", *SUPERVISOR_SECRET, "enter")
        await pilot.press(*"lot propre", "enter")
        supervisor = app.screen
        assert isinstance(supervisor, SupervisorScreen)
        assert "signée par formateur-01" in text_of(app, "#summary")
        # A second sign-off says what it replaces before anyone signs.
        await pilot.press("v")
        assert "Déjà signée par formateur-01" in text_of(app, "#replaces")
        await pilot.press("escape")
        assert app.screen is supervisor
    signed = [r for r in records(services) if r.kind == "supervisor_signoff"]
    assert len(signed) == 1
    assert signed[0].body()["comment"] == "lot propre"


async def test_operator_screen_picks_nobody_unless_chosen(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr")
    async with app.run_test(size=(80, 25)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("enter")  # nothing chosen: nobody
        assert isinstance(app.screen, LoginScreen)
        assert "Choisissez d'abord" in text_of(app, "#error")
        await pilot.press("escape")  # nobody to keep at start-up: still asked
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*"inconnu", "enter", "enter")  # unknown id, then Enter again
        assert isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#operators", OptionList).highlighted is None
        await pilot.press("down", "down", "enter")  # the second id, chosen with the arrows
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        assert "opérateur stagiaire-02" in text_of(app, "#title")
        await pilot.press("o")
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("enter")
        assert isinstance(app.screen, LoginScreen)  # Enter alone picks nobody here too
        await pilot.press("escape")  # O can be cancelled
        assert isinstance(app.screen, DashboardScreen)
        assert "opérateur stagiaire-02" in text_of(app, "#title")
        assert "Opérateur inchangé" in text_of(app, "#notice")


# -- the state of a disk is never misstated ----------------------------------------------


async def test_quitting_during_work_asks_in_french_and_records_the_stop(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")
    services = make_services(tmp_path, [device], GatedServices)
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await start_gated(app, pilot, services, device)
        await pilot.press("ctrl+c")  # Textual's English toast is replaced by French
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        assert "Pour quitter : Ctrl+Q." in toasts
        await pilot.press("ctrl+q")
        assert isinstance(app.screen, QuitScreen)
        assert "ne sera PAS effacé" in panel_text(app)
        await pilot.press("enter")  # the safe answer: stay
        assert isinstance(app.screen, DashboardScreen)
        assert screen.rows[device].busy and not GatedServices.cancels[-1].is_set()
        await pilot.press("ctrl+q", "o")
        await wait_for(pilot, lambda: app._exit, "the app exits once the disk stopped")
        message = "\n".join(str(m) for m in app._exit_renderables)
    assert "arrêtés avant la fin" in message
    assert "emplacement 1" in message and "TST0001X0Z9" in message
    assert message.count("PAS effacé") == 1  # stopped while erasing: said of that disk
    passes = [r.body() for r in records(services) if r.kind == "overwrite_pass"]
    assert passes and passes[-1]["stopped"] == "cancelled" and not passes[-1]["completed"]
    # The disk in work is recorded as stopped, by quitting, at the stage it was in.
    stop = records(services)[-1].body()
    assert stop["kind"] == "work_cancelled"
    assert (stop["stage"], stop["requested_by"]) == ("erase", "quit")


async def test_a_stopped_disk_is_not_a_failed_disk(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")
    plant_data(device)
    services = make_services(tmp_path, [device], GatedServices)
    services.clock = _now  # the supervisor's log is today's
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await start_gated(app, pilot, services, device)
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        assert screen.rows[device].stage is Stage.CANCELLED
        assert "1 arrêté" in text_of(app, "#summary") and "0 échec" in text_of(app, "#summary")
        await pilot.press("p")
        panel = panel_text(app)
        assert "Relancez-le pour terminer" in panel
        assert "destruction" not in panel
        assert "Arrêté par l'opérateur avant la fin." in panel  # the job's note, in French
        await pilot.press("escape", "s")
        assert "arrêté" in str(app.screen.query_one("#log", DataTable).get_row_at(0)[3])
    with Journal(services.journal.path, services.journal.key) as journal:
        serial = services.disks.inspect(device).identity.serial
        assert serial is not None
        certificate = build_certificate(journal, serial)
    assert certificate.facts["stopped"] is True
    pdf = tmp_path / "stopped.pdf"
    pdf.write_bytes(certificate_pdf(certificate, "fr"))
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "ARRÊTÉ sur demande : disque NON effacé, à relancer" in text
    assert "destruction physique" not in text


def test_progress_of_a_disk_only_goes_up_across_stages() -> None:
    seen = [
        overall_fraction(StageUpdate("/dev/x", stage, fraction, pass_index=i, pass_count=n), False)
        for stage, fraction, i, n in [
            (Stage.SMART, 0.5, 0, 1),
            (Stage.SMART, 1.0, 0, 1),
            (Stage.ERASING, 0.1, 1, 2),
            (Stage.ERASING, 1.0, 1, 2),
            (Stage.ERASING, 0.0, 2, 2),  # the second pass starts at 0 %
            (Stage.ERASING, 1.0, 2, 2),
            (Stage.VERIFYING, 0.0, 0, 1),
            (Stage.VERIFYING, 1.0, 0, 1),
        ]
    ]
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


async def test_a_batch_only_goes_up_counts_stopped_apart_and_ends_on_a_summary(make_loop, tmp_path):
    devices = [make_loop(64 * MIB, name="laptop") for _ in range(2)]
    services = make_services(tmp_path, devices, GatedServices)
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        GatedServices.erasing.clear()
        GatedServices.release.clear()
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: len(screen.rows) == 2, "two disks")
        await pilot.press("r", "escape")  # a cancelled confirmation leaves its message...
        assert "Annulé" in text_of(app, "#notice")
        await pilot.press("t", "2", "enter")
        assert "Annulé" not in text_of(app, "#notice")  # ...never during the next work
        await wait_for(pilot, GatedServices.erasing.is_set, "erasing started")
        held = GatedServices.held[-1]  # stop the disk held while erasing, let the other go
        table = screen.query_one("#disks", DataTable)
        table.move_cursor(row=table.get_row_index(held))
        await pilot.press("a")
        GatedServices.release.set()
        percents: list[int] = []

        def ended() -> bool:
            text = screen.summary()
            if "lot " in text:
                percents.append(int(text.split("lot ")[1].split(" %")[0]))
            return all(screen.rows[d].stage.final for d in devices)

        await wait_for(pilot, ended, "both disks end")
        assert percents == sorted(percents), percents
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen), "batch summary")
        panel = panel_text(app)
        assert "1 disque du lot terminé" in panel
        assert "Relancez-le (R) : il n'est pas effacé." in panel
        assert "Certificat prêt." in panel
        await pilot.press("escape")
        summary = text_of(app, "#summary")
        assert "1 terminé" in summary and "1 arrêté" in summary and "0 échec" in summary


async def test_messages_wrap_and_the_why_panel_says_what_was_checked(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")  # from 64 MiB, nist-clear samples
    services = make_services(tmp_path, [device])
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await finish_one(app, pilot, services, device)
        assert "1 terminé ·" in text_of(app, "#summary")  # French plural: 1 terminé
        await pilot.press("p")
        panel = panel_text(app)
        assert "du disque relu, à des endroits tirés au hasard" in panel
        assert "relu pour vérifier" not in panel
        assert "Notes techniques" not in panel  # every note of a clean erase is translated
        assert "every pass" not in panel
        await pilot.press("escape", "r")  # R on a finished disk warns first
        assert isinstance(app.screen, ConfirmScreen)
        assert "DÉJÀ effacé" in panel_text(app)
        await pilot.press("escape")
        long = "Scannez d'abord l'étiquette (E) de chaque ordinateur ; il manque : " + ", ".join(
            str(n) for n in range(1, 30)
        )
        screen.notice(long)
        await pilot.pause()
        notice = screen.query_one("#notice", Static)
        assert notice.size.height >= 2  # wrapped, not cut at 80 columns
        assert "29" in str(notice.content)


async def test_asset_tags_follow_the_bench_pattern_and_show_everywhere(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    services.bench = services.bench.model_copy(
        update={"asset_tag_pattern": r"^EPN-[0-9]{4}$", "asset_tag_example": "EPN-0042"}
    )
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        await pilot.press("e")
        assert isinstance(app.screen, PromptScreen)
        assert "Exemple : EPN-0042" in panel_text(app)
        await pilot.press(*"PC42", "enter")
        assert "pas une étiquette de cet atelier" in text_of(app, "#error")
        assert "Exemple : EPN-0042" in text_of(app, "#error")
        app.screen.query_one("#value", Input).value = ""
        await pilot.press(*"EPN-0007", "enter")
        assert isinstance(app.screen, DashboardScreen)
        table = app.screen.query_one("#disks", DataTable)
        assert "EPN-0007" in str(table.get_cell(device, "state"))
        await pilot.press("r")
        assert "Étiquette : EPN-0007" in panel_text(app)
        await pilot.press("escape", "t")
        assert "EPN-0007" in panel_text(app)  # the batch confirmation lists it too


async def test_supervisor_opens_a_line_and_filters_what_needs_a_look(make_loop, tmp_path):
    device = make_loop(64 * MIB, name="laptop")
    services = make_services(tmp_path, [device], GatedServices)
    services.clock = _now
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        screen = await start_gated(app, pilot, services, device)
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
        await pilot.press("s")
        assert isinstance(app.screen, SupervisorScreen)
        await pilot.press("enter")
        panel = panel_text(app)
        assert "Résultat : arrêté" in panel and "pas effacé" in panel
        assert "stagiaire-01" in panel
        await pilot.press("escape", "f", "f")  # avec réserves: the stopped line is not one
        assert "avec réserves · 0 ligne affichée" in text_of(app, "#summary")
        await pilot.press("f")
        assert "arrêté · 1 ligne affichée" in text_of(app, "#summary")
        assert "0 échec" in text_of(app, "#summary")  # stopped is not counted as failed


# -- what the trainee did is visible ------------------------------------------------------


async def test_certificate_and_label_from_the_screen_and_station_label_by_tag(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    # A dock bench (the disk goes into another machine), with a printer queue that this
    # machine does not have: the PDFs are written, and the screen says it did not print.
    services.bench = services.bench.model_copy(update={"dock": True, "printer": "atelier"})
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        await pilot.press("c")
        assert "seulement pour les disques terminés" in text_of(app, "#notice")
        await pilot.press("e", *"EPN-0042", "enter")
        await finish_one(app, pilot, services, device)
        await pilot.press("c")
        await wait_for(pilot, lambda: "Certificat :" in text_of(app, "#notice"), "documents")
        notice = text_of(app, "#notice")
        assert "Non imprimé" in notice
    folder = services.data_dir / "documents"
    serial = services.disks.inspect(device).identity.serial
    assert serial is not None
    certificate = folder / f"certificat-{serial}.pdf"
    label = folder / "etiquette-EPN-0042.pdf"
    assert str(certificate) in notice and str(label) in notice
    assert serial in PdfReader(certificate).pages[0].extract_text()
    assert "EPN-0042" in PdfReader(label).pages[0].extract_text()
    hosts = [r.body() for r in records(services) if r.kind == "host_inventory"]
    assert hosts[-1]["host"]["asset_tag"] == "EPN-0042"
    assert hosts[-1]["disks"][0]["serial"] == serial
    out = tmp_path / "label.pdf"
    keys = str(services.data_dir / KEY_DIR_NAME)
    done = subprocess.run(
        [sys.executable, "-m", "station", "label", "EPN-0042", "--out", str(out),
         "--journal", str(services.journal.path), "--key-dir", keys],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "LANG": "fr_FR.UTF-8", "LC_ALL": "", "STATION_INVENTORY_URL": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 étiquette(s) 62x29 écrite(s)" in done.stdout
    assert "EPN-0042" in PdfReader(out).pages[0].extract_text()


async def test_certificate_and_label_go_to_the_bench_printer(
    make_loop, tmp_path, cups_queue: CupsQueue
):
    """The bench profile names a queue of a real CUPS scheduler: both PDFs reach it, byte
    for byte, and the screen says where they went."""
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    services.bench = services.bench.model_copy(update={"dock": True, "printer": cups_queue.name})
    app = StationApp(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        await pilot.press("e", *"EPN-0043", "enter")
        await finish_one(app, pilot, services, device)
        await pilot.press("c")
        await wait_for(pilot, lambda: "Certificat :" in text_of(app, "#notice"), "documents")
        notice = text_of(app, "#notice")
    assert f"Envoyé à l'imprimante {cups_queue.name}" in notice, notice
    folder = services.data_dir / "documents"
    serial = services.disks.inspect(device).identity.serial
    made = [folder / f"certificat-{serial}.pdf", folder / "etiquette-EPN-0043.pdf"]
    assert cups_queue.printed() == [document.read_bytes() for document in made]


# -- for everyone at the bench ------------------------------------------------------------


class BellCounting(StationApp):
    """The app, counting its bells (the terminal's own bell cannot be heard by a test)."""

    rings = 0

    def bell(self) -> None:
        self.rings += 1
        super().bell()


async def test_large_text_and_high_contrast_are_remembered_and_a_bell_rings(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device])
    profile = tmp_path / "banc.yaml"
    profile.write_text(
        "# Banc de test\nname: test-bench\ntitle: {fr: Banc de test, en: Test bench}\n"
        "operators: [stagiaire-01]\n",
        encoding="utf-8",
    )
    services.bench_file = profile
    app = BellCounting(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        assert "F3 Grand texte" in text_of(app, "KeyBar")
        assert "F4 Contraste" in text_of(app, "KeyBar")
        assert not app.has_class("-high-contrast")
        await pilot.press("f4")
        assert app.has_class("-high-contrast")
        title = app.screen.query_one("#title")
        assert title.styles.background.rgb == (255, 255, 255)  # black on white
        await pilot.press("f3")
        await pilot.pause()
        toasts = [n.message for n in app._notifications]
        assert "Grand texte activé." in toasts
        # Not on a Linux console here (Pilot has no tty): it says so, never pretends.
        await wait_for(
            pilot, lambda: any("seulement sur l'écran" in n.message for n in app._notifications),
            "console-only notice",
        )  # fmt: skip
        await finish_one(app, pilot, services, device)
        assert app.rings >= 1  # the disk finished: someone is called
    text = profile.read_text(encoding="utf-8")
    assert "# Banc de test" in text
    assert "high_contrast: true" in text and "large_text: true" in text
    again = StationApp(make_services(tmp_path, [device]), lang="fr", operator="stagiaire-01")
    again.services.bench = load_model(profile, BenchProfile)
    async with again.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, DashboardScreen), "dashboard")
        assert again.has_class("-high-contrast")  # remembered at the next start


class AskingServices(Services):
    """Asks the frozen-drive question from the worker thread, as the purge job does on
    a frozen drive (a loop device is never frozen), then runs the real sequence."""

    answers: ClassVar[list[str]] = []

    def recondition(self, target, operator, on_update, cancel, asset_tag=None, **options):  # type: ignore[override]
        self.answers.append(options["ask_unfreeze"]())
        return super().recondition(target, operator, on_update, cancel, asset_tag, **options)


async def test_a_frozen_drive_question_reaches_the_job_and_rings(make_loop, tmp_path):
    device = make_loop(4 * MIB, name="laptop")
    services = make_services(tmp_path, [device], AskingServices)
    AskingServices.answers.clear()
    app = BellCounting(services, lang="fr", operator="stagiaire-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        screen = dashboard(app)
        await wait_for(pilot, lambda: device in screen.rows, "disk listed")
        await pilot.press("r", *serial_code(services, device), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UnfreezeScreen), "the question")
        assert app.rings == 1  # someone is needed at the bench
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.rows[device].stage.final, "the sequence ends")
    assert AskingServices.answers == ["replugged"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_why_wording_is_short_one_idea_per_line(lang: str) -> None:
    """Easy-to-read rules: each sentence fits on one line of the 76-column panel."""
    from station.tui.i18n import set_language
    from station.tui.why import RESULT_MEANING, STAGE_MEANING

    set_language(lang)
    for meaning in [*RESULT_MEANING.values(), *STAGE_MEANING.values()]:
        for line in meaning():
            assert len(line) <= 72, line
            assert line.count(". ") == 0, line  # one sentence a line


async def test_docs_name_every_key_of_the_screens_as_they_read(snapshot_services):
    """docs/tui.md matches the screen: each key of the bench and supervisor key bars is
    documented with the word the screen shows."""
    from station.tui.widgets import KeyBar

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tui.md").read_text(encoding="utf-8")
    app = StationApp(snapshot_services, lang="fr", operator="formateur-01")
    async with app.run_test(size=(80, 25)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
        keys = list(app.screen.query_one(KeyBar).keys)
        await pilot.press("s")
        keys += app.screen.query_one(KeyBar).keys
    documented = [(k, label()) for k, label in keys if k not in ("F2", "^Q", "esc", "enter")]
    assert len(documented) >= 12
    for key, word in documented:
        assert f"**{key} — {word}**" in doc, (key, word)
    for filter_name in ("tout", "effacés", "avec réserves", "arrêtés", "échec"):
        assert filter_name in doc


@pytest.mark.server
async def test_sync_badge_says_online_only_once_a_record_was_pushed(make_loop, tmp_path):
    """A real inventory server on 127.0.0.1 that answers from the start: the badge stays
    "connexion…" until the first record of the bench is acknowledged."""
    from station.sync.client import InventoryClient
    from tests.server.conftest import Api, start_server

    handle = start_server(f"sqlite:///{tmp_path / 'inventory.db'}")
    try:
        device = make_loop(4 * MIB, name="laptop")
        services = make_services(tmp_path, [device])
        services.bench = services.bench.model_copy(update={"inventory_url": handle.url})
        key = services.journal.key
        client = InventoryClient(handle.url)
        client.enrol(key.bench_id, "banc-test", key.private_key)  # signed by that key
        client.close()
        Api(handle.url).admin(f"/v1/admin/benches/{key.bench_id}/approve").raise_for_status()
        app = StationApp(services, lang="fr", operator="stagiaire-01")
        async with app.run_test(size=(80, 25)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")
            dashboard(app).refresh_status()
            assert "en ligne" not in text_of(app, "#sync")  # nothing was sent yet
            await finish_one(app, pilot, services, device)

            def online() -> bool:
                dashboard(app).refresh_status()
                return "Inventaire en ligne" in text_of(app, "#sync")

            await wait_for(pilot, online, "the records pushed and acknowledged")
        assert services.sync_state.snapshot().sent > 0
    finally:
        handle.stop()


def test_a_failed_line_opens_on_the_reason_behind_its_echec() -> None:
    """The supervisor's '!' line opens on why it failed, in the words of its records."""
    disk = {"serial": "WD-FAILED01", "model": "WDC WD5000", "size_bytes": 500 * 10**9}
    day = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    bodies = []
    for seq, (kind, extra) in enumerate(
        [
            ("disk_seen", {}),
            ("verification", {"result": "failed", "mismatched_ranges": [
                {"offset": 0, "length": 4096}]}),
        ],
        start=1,
    ):  # fmt: skip
        body = sample_body(kind, disk=disk, operator="stagiaire-02", **extra)
        body.update(seq=seq, record_id=f"{seq:064x}", created_at=day.isoformat())
        bodies.append(body)
    [line] = build_daily_log("bench", day.date(), bodies).lines
    assert line.result == "failed" and not line.stopped
    i18n.set_language("fr")
    details = line_details(line)
    assert "Résultat : échec" in details
    assert "- vérification en échec (1 écart(s), 0 illisible(s))" in details
    assert matches(line, "failed") and not matches(line, "warnings")
