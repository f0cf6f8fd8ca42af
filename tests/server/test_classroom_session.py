"""The supervisor's classroom session in the back office (issue 21), on the real inventory
server (uvicorn on 127.0.0.1, SQLite) with the classroom engine inside it (its file and
status-board server on 127.0.0.1 too): the page is for supervisors only and its forms
carry the CSRF token; a session starts « quand N portables sont prêts » and is cancelled;
a netbooted laptop joins with its DMI identity and a key made in memory, shows « en
attente d'approbation », its records are refused (in French) until the supervisor
approves it, accepted then, and refused again once the session is closed; a forged key
and a join not signed by the key it presents are refused; the board's licence column
shows the kind of key and a digest prefix, and a full product key cannot be posted.
(Broke each once: with `classroom.refusal` answering nothing the French refusal tests
fail; with `_close_tx` not revoking the benches the "expired" test fails; with the
page's dependency `Page` instead of `Writer` the lecture user gets the page.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station.classroom.control import SessionControl
from station.classroom.session import ClassroomServer
from station.devices.udpcast import SenderSettings
from station.imaging.frame_list import FRAMES_FILE
from station.imaging.raw_create import IMAGE_FILE
from station.inventory.settings import Settings
from station.journal.envelope import key_id
from station.journal.samples import sample_body
from station.journal.signed_requests import public_key_b64, signed_join
from station.wiring import build_services
from tests.server.conftest import ADMIN_TOKEN, Api
from tests.server.server_thread import ServerThread
from tests.server.signer import BenchSigner
from tests.server.web_forms import Browserless

pytestmark = pytest.mark.server
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def room(tmp_path: Path, db_url: str) -> Iterator[tuple[Api, SessionControl]]:
    """The inventory server (SQLite, and PostgreSQL where it can run here) with a
    classroom engine serving two images."""
    root = tmp_path / "srv"
    for name in ("primtux-2026", "lubuntu-24"):
        folder = root / "images" / name
        folder.mkdir(parents=True)
        (folder / IMAGE_FILE).write_bytes(b"not streamed in these tests")
        (folder / FRAMES_FILE).write_text("[]")
    (root / "images" / "incomplete").mkdir()  # no disk.frames: not offered
    files = ClassroomServer(root, "127.0.0.1", 0).start()
    control = SessionControl(files, SenderSettings("lo", 9000), poll_s=0.1)
    server = ServerThread(Settings(database_url=db_url, admin_token=ADMIN_TOKEN), classroom=control)
    server.start()
    yield Api(server.url, db_url), control
    control.cancel()
    control.wait(30)
    server.stop()
    files.stop()


def supervisor(api: Api, name: str = "claire", role: str = "encadrant") -> Browserless:
    return Browserless(api.url, api.sign_in(name, role))


def laptop_joins(api: Api, key: Ed25519PrivateKey, serial: str = "PF3ABCDE") -> dict[str, Any]:
    body = signed_join(key, serial, "4c4c4544-0042-3510-8053-b4c04f4d3232", "debian")
    answer = requests.post(api.url + "/v1/classroom/join", json=body, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()  # type: ignore[no-any-return]


def start_when_ready(office: Browserless, laptops: int = 2) -> requests.Response:
    return office.post(
        "/salle/seance",
        {"image": "lubuntu-24", "laptops": str(laptops), "wait": "600", "mode": "ready"},
    )


def netbooted_laptop_joins(
    office: Browserless,
    server: str,
    tmp_path: Path,
    env: dict[str, str],
    serial: str,
    prefix: list[str] | None = None,
) -> tuple[str, str, str]:
    """`station classroom-join` as a netbooted laptop runs it (its DMI identity in a copy
    of /sys, the server on its kernel command line, its data folder in `env`), approved on
    /salle by the supervisor once it shows there: (its bench id, what it printed, what it
    said on stderr)."""
    sys_root = tmp_path / f"sys-{serial}"
    dmi = sys_root / "class" / "dmi" / "id"
    dmi.mkdir(parents=True)
    (dmi / "product_serial").write_text(serial + "\n")
    (dmi / "product_uuid").write_text("1E2B3C4D-0000-1111-2222-333344445555\n")
    # The server as the classroom's network boot names it on the kernel command line.
    proc_root = tmp_path / f"proc-{serial}"
    proc_root.mkdir()
    (proc_root / "cmdline").write_text(f"boot=live station.inventory={server} quiet\n")
    env = {name: value for name, value in env.items() if name != "STATION_INVENTORY_URL"}
    joining = subprocess.Popen(
        [*(prefix or []), sys.executable, "-m", "station", "classroom-join",
         "--proc-root", str(proc_root), "--sys-root", str(sys_root), "--wait", "120"],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while serial not in (page := office.page("/salle")):
        assert time.monotonic() < deadline and joining.poll() is None, joining.communicate()
        time.sleep(0.3)
    found = re.search(r"/salle/portables/(bench-[0-9a-f]+)/decision", page)
    assert found, page
    office.post(f"/salle/portables/{found.group(1)}/decision", {"decision": "approve"})
    out, err = joining.communicate(timeout=120)
    assert joining.returncode == 0, err
    return found.group(1), out, err


def test_the_page_is_for_supervisors_and_its_forms_carry_the_token(
    room: tuple[Api, SessionControl],
) -> None:
    api, control = room
    assert requests.get(api.url + "/salle", timeout=30).status_code == 401
    reader = supervisor(api, "lea", "lecture")
    reader.page("/salle", status=403)
    office = supervisor(api)
    page = office.page("/salle")
    assert "Démarrer maintenant" in page and "Démarrer quand N portables sont prêts" in page
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert offered == ["lubuntu-24", "primtux-2026"]  # the incomplete folder is not offered
    forged = office.session.post(
        api.url + "/salle/seance",
        timeout=30,
        allow_redirects=False,
        data={"image": "lubuntu-24", "laptops": "2", "mode": "now"},
    )
    assert forged.status_code == 403 and not control.running
    unknown = office.post("/salle/seance", {"image": "../etc", "laptops": "2", "mode": "now"})
    assert unknown.status_code == 422 and "image inconnue" in unknown.text
    assert not control.running


def test_a_session_waits_for_n_laptops_shows_the_table_and_is_cancelled(
    room: tuple[Api, SessionControl],
) -> None:
    api, control = room
    office = supervisor(api)
    answer = start_when_ready(office, laptops=3)
    assert answer.status_code == 200, answer.text
    assert control.running and control.view()["session"]["phase"] == "waiting"
    assert "en attente des portables" in answer.text
    board = control.server.url + "status"
    posts = [
        {"laptop": "EPN-0001", "state": "joined"},
        {
            "laptop": "EPN-0002",
            "state": "done",
            "frames_verified": 6,
            "frames_total": 6,
            "licence": "pool",
            "key_sha256": "ab12cd34ef56" + "0" * 52,
        },
        {"laptop": "EPN-0003", "state": "failed", "reason": "disque refusé", "licence": "firmware"},
    ]
    for post in posts:
        assert requests.post(board, json=post, timeout=30).status_code == 204
    full_key = {
        "laptop": "EPN-0004",
        "state": "done",
        "licence": "pool",
        "key_sha256": "VK7JG-NPHTM-C97JM-9MPGT-3V66T",
    }
    refused = requests.post(board, json=full_key, timeout=30)
    assert refused.status_code == 400 and "never the key" in refused.text
    page = office.page("/salle")
    assert "clé du stock (empreinte ab12cd34ef56…)" in page and "clé du firmware" in page
    assert "VK7JG" not in page and "disque refusé" in page and "6/6" in page
    ended = office.post("/salle/seance/fin", {})
    assert ended.status_code == 200 and "Séance annulée." in ended.text
    assert control.wait(30) and control.view()["session"]["phase"] == "cancelled"


def test_a_netbooted_laptop_is_approved_for_the_session_only(
    room: tuple[Api, SessionControl],
) -> None:
    api, _control = room
    key = Ed25519PrivateKey.generate()
    early = requests.post(
        api.url + "/v1/classroom/join",
        timeout=30,
        json=signed_join(key, "PF3ABCDE", None, "debian"),
    )
    assert early.status_code == 409 and "aucune séance de salle ouverte" in early.json()["detail"]
    office = supervisor(api)
    start_when_ready(office)
    joined = laptop_joins(api, key)
    bench_id = joined["bench_id"]
    assert joined["status"] == "pending" and bench_id == "bench-" + key_id(key.public_key())[:12]
    page = office.page("/salle")
    assert "attente d" in page and "PF3ABCDE" in page, page[page.find("<tbody>") :]
    laptop = BenchSigner(bench_id, key)
    before = api.post("/v1/records", json=laptop.next())
    assert before.status_code == 403 and "en attente d'approbation" in before.json()["detail"]

    decided = office.post(f"/salle/portables/{bench_id}/decision", {"decision": "approve"})
    assert decided.status_code == 200 and "approuvé pour la séance" in decided.text
    assert "(claire, " in decided.text  # who decided, and when
    laptop = BenchSigner(bench_id, key)  # the refused record was never stored: seq 1 again
    assert api.post("/v1/records", json=laptop.next()).status_code == 201
    status = requests.get(
        api.url + f"/v1/classroom/laptops/{bench_id}",
        timeout=30,
        headers=laptop.read_headers(f"/v1/classroom/laptops/{bench_id}"),
    )
    assert status.json()["status"] == "approved" and status.json()["image"] == "lubuntu-24"

    forger = BenchSigner(bench_id, Ed25519PrivateKey.generate())  # its bench id, not its key
    forged = api.post("/v1/records", json=forger.next())
    assert forged.status_code == 403 and forged.json()["error"] == "unknown_key"
    other = Ed25519PrivateKey.generate()
    squat = requests.post(
        api.url + "/v1/classroom/join",
        timeout=30,
        json=signed_join(other, "X", None, "x", public_key=public_key_b64(key)),
    )
    assert squat.status_code == 403 and squat.json()["error"] == "no_proof_of_possession"

    closed = office.post("/salle/seance/fin", {})
    assert "Approbations expirées : 1." in closed.text
    after = api.post("/v1/records", json=laptop.next())
    assert after.status_code == 403 and after.json()["error"] == "classroom_expired"
    assert "la séance de salle est terminée" in after.json()["detail"]


def test_a_refused_laptop_is_told_in_french(room: tuple[Api, SessionControl]) -> None:
    api, _control = room
    office = supervisor(api)
    start_when_ready(office)
    key = Ed25519PrivateKey.generate()
    bench_id = laptop_joins(api, key)["bench_id"]
    office.post(f"/salle/portables/{bench_id}/decision", {"decision": "refuse"})
    refused = api.post("/v1/records", json=BenchSigner(bench_id, key).next())
    assert refused.status_code == 403 and "a refusé ce portable" in refused.json()["detail"]


def test_the_laptop_command_joins_waits_and_pushes_each_record(
    room: tuple[Api, SessionControl], tmp_path: Path
) -> None:
    """`station classroom-join` on a "laptop" (a data folder of its own, a copy of its
    /sys DMI identity): it waits for the approval, writes banc.yaml (the workshop's
    classroom bench profile from the server, with sync_each_record), and the next record
    it signs is at the server at once."""
    api, control = room
    (control.server.root / "banc-salle.yaml").write_text(
        "name: salle-epn\ntitle: {fr: Salle EPN, en: EPN classroom}\n"
        "operators: [eleve-01, eleve-02]\nwipe_profile: nist-clear\n"
    )
    office = supervisor(api)
    start_when_ready(office)
    data = tmp_path / "laptop-ram"
    env = {**os.environ, "STATION_DATA_DIR": str(data), "STATION_LANG": "fr"}
    bench_id, out, err = netbooted_laptop_joins(office, api.url, tmp_path, env, "R90XYZ12")
    assert "en attente d'approbation" in err and out.strip() == control.server.url
    profile = (data / "banc.yaml").read_text()
    assert "sync_each_record: true" in profile and f"inventory_url: {api.url}" in profile
    assert "name: salle-epn" in profile and "eleve-02" in profile
    assert bench_id.startswith("bench-")
    before = api.record_count()
    os.environ["STATION_DATA_DIR"] = str(data)  # the laptop's own process, as `station` runs
    try:
        services = build_services(bench_file=data / "banc.yaml")
        services.journal.append(sample_body("disk_seen"))
    finally:
        del os.environ["STATION_DATA_DIR"]
    assert api.record_count() == before + 1
    assert services.journal.pending_count() == 0


def test_the_supervisor_runs_the_session_in_chromium(
    room: tuple[Api, SessionControl], tmp_path: Path
) -> None:
    """The same, as a person does it: sign in, choose the image and the count, « Démarrer
    quand N portables sont prêts », approve the laptop that joined, cancel."""
    from tests.cdp import Chromium

    api, control = room
    api.sign_in("claire", "encadrant")
    with Chromium(tmp_path / "downloads") as browser:
        browser.open(api.url + "/salle")
        browser.fill("input[name=username]", "claire")
        browser.fill("input[name=password]", "correct horse battery")
        browser.click("form[action='/login'] button")
        browser.open(api.url + "/salle")
        assert "aucune séance" in browser.text("#phase")
        browser.fill("select[name=image]", "primtux-2026")
        browser.fill("input[name=laptops]", "2")
        browser.click("#start-ready")
        assert "en attente des portables" in browser.text("#phase")
        assert control.view()["session"]["image"] == "primtux-2026"
        bench_id = laptop_joins(api, Ed25519PrivateKey.generate(), "CHROMIUM1")["bench_id"]
        browser.open(api.url + "/salle")
        row = f"#laptop-{bench_id}"
        assert "en attente d'approbation" in browser.text(row + " .approval")
        browser.click(row + " button[value=approve]")
        assert "approuvé pour la séance" in browser.text(row + " .approval")
        # The laptop reports to the board: the open page follows without being reloaded.
        said = {
            "laptop": "EPN-0042",
            "state": "receiving",
            "frames_verified": 2,
            "frames_total": 6,
            "bench_id": bench_id,
        }
        assert requests.post(control.server.url + "status", json=said, timeout=30).ok
        deadline = time.monotonic() + 60
        while "réception" not in browser.text(row + " .state"):
            assert time.monotonic() < deadline, browser.text("#laptops")
            time.sleep(0.3)
        assert "2/6" in browser.text(row)
        browser.click("#end-session button")
        assert "Séance annulée." in browser.text("#message")
        browser.open("about:blank")  # no page left polling the server while it stops
    assert control.wait(30)


def test_station_inventory_serve_runs_the_classroom_engine(tmp_path: Path) -> None:
    """`station-inventory serve --classroom-root …` as a workshop starts it: the back
    office's /salle offers the served images, the board answers on the classroom port."""
    from tests.server.pg_cluster import free_port

    root = tmp_path / "srv"
    folder = root / "images" / "primtux-2026"
    folder.mkdir(parents=True)
    (folder / IMAGE_FILE).write_bytes(b"x")
    (folder / FRAMES_FILE).write_text("[]")
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    web, files = free_port(), free_port()
    command = [sys.executable, "-m", "station.inventory.cli"]
    added = subprocess.run(
        [*command, "user", "add", "claire", "--role", "encadrant", "--password-stdin",
         "--db", db],
        input="correct horse battery\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    server = subprocess.Popen(
        [*command, "serve", "--db", db, "--host", "127.0.0.1", "--port", str(web),
         "--classroom-root", str(root), "--classroom-address", "127.0.0.1",
         "--classroom-interface", "lo", "--classroom-port", str(files)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{web}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "/v1/health", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)
        office = requests.Session()
        office.post(url + "/login", timeout=30,
                    data={"username": "claire", "password": "correct horse battery"})  # fmt: skip
        page = office.get(url + "/salle", timeout=30).text
        assert '<option value="primtux-2026">' in page
        board = requests.get(f"http://127.0.0.1:{files}/status.json", timeout=30)
        assert board.status_code == 200 and board.json() == []
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_a_laptop_left_pending_a_week_is_forgotten_like_any_bench(
    room: tuple[Api, SessionControl],
) -> None:
    """Pending enrolments expire after 7 days (benches.py); a classroom laptop's row goes
    with its bench instead of blocking every later enrolment (its row refers to it)."""
    from station.inventory.database import Database

    api, _control = room
    start_when_ready(supervisor(api))
    bench_id = laptop_joins(api, Ed25519PrivateKey.generate())["bench_id"]
    assert api.db_url is not None
    db = Database(api.db_url)
    try:
        with db.transaction(write=True) as tx:
            tx.run("UPDATE benches SET enrolled_at = '2020-01-01T00:00:00+00:00' "
                   "WHERE bench_id = ?", (bench_id,))  # fmt: skip
    finally:
        db.close()
    later = laptop_joins(api, Ed25519PrivateKey.generate(), "LATER-1")
    assert later["status"] == "pending"
    gone = api.get(f"/v1/classroom/laptops/{bench_id}")
    assert gone.status_code == 404


def test_a_laptop_takes_a_pool_key_with_its_approved_identity_only(
    room: tuple[Api, SessionControl],
) -> None:
    """The licence step as on a bench: a key-pool image takes the laptop's own key,
    reserved with its bench identity — refused (in French) before the approval and once
    the session is closed."""
    from station.errors import SyncError
    from station.imaging.keypool_client import KeyPoolClient
    from station.journal.keys import BenchKey
    from tests.server.test_keypool import import_csv, keys

    api, _control = room
    import_csv(api, keys(3))
    office = supervisor(api)
    start_when_ready(office)
    key = Ed25519PrivateKey.generate()
    bench_id = laptop_joins(api, key)["bench_id"]
    pool = KeyPoolClient(api.url, BenchKey(private_key=key, bench_id=bench_id))
    with pytest.raises(SyncError, match="en attente d'approbation"):
        pool.reserve(pool="refurb", product="win10-pro", count=1)
    office.post(f"/salle/portables/{bench_id}/decision", {"decision": "approve"})
    [(_digest, product_key)] = pool.reserve(pool="refurb", product="win10-pro", count=1)
    assert product_key in keys(3)
    assert product_key not in office.page("/salle")  # never a key on the page
    office.post("/salle/seance/fin", {})
    with pytest.raises(SyncError, match="approbation expirée"):
        pool.reserve(pool="refurb", product="win10-pro", count=1)


def test_a_server_without_the_classroom_engine_says_how_to_start_it(sqlite_api: Api) -> None:
    office = supervisor(sqlite_api)
    page = office.page("/salle")
    assert "Ce serveur ne fait pas salle de classe" in page and "--classroom-root" in page
    refused = office.post("/salle/seance", {"image": "x", "laptops": "1", "mode": "now"})
    assert refused.status_code == 409
    body = signed_join(Ed25519PrivateKey.generate(), "PF1", None, "debian")
    joined = requests.post(sqlite_api.url + "/v1/classroom/join", json=body, timeout=30)
    assert joined.status_code == 409 and joined.json()["error"] == "no_classroom_session"


def test_the_classroom_page_in_english(room: tuple[Api, SessionControl]) -> None:
    """The English catalogue covers the page, idle and with a session, a pending laptop
    and the board's states and licence words (the checks of test_back_office_english)."""
    from tests.server.test_back_office_english import french_left, french_only

    api, control = room
    office = supervisor(api)
    office.session.get(api.url + "/langue/en", timeout=30)
    french = french_only()
    idle = office.page("/salle")
    assert "Start when N laptops are ready" in idle and french_left(idle, french) == []
    start_when_ready(office)
    laptop_joins(api, Ed25519PrivateKey.generate())
    said = {"laptop": "EPN-0002", "state": "done", "licence": "pool", "key_sha256": "ab" * 6}
    assert requests.post(control.server.url + "status", json=said, timeout=30).ok
    page = office.page("/salle")
    for words in ("waiting for the laptops", "waiting for approval", "Approve", "done",
                  "key from the pool (digest abababababab…)", "Cancel the session"):  # fmt: skip
        assert words in page, words
    assert french_left(page, french) == []
