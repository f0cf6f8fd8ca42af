"""`make demo` sets up its simulated bench by itself: disks with their demo identities,
an inventory server with the bench approved, and it removes everything on exit.
(DEMO_NO_TUI=1 stops before starting the TUI; the TUI itself is tested with Pilot.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO

pytestmark = pytest.mark.tui


def test_demo_sets_up_a_simulated_bench_and_cleans_up() -> None:
    env = {**os.environ, "DEMO_NO_TUI": "1", "DEMO_SIZE_MIB": "8", "PY": sys.executable}
    env.pop("STATION_DATA_DIR", None)
    done = subprocess.run(
        [str(REPO / "scripts" / "demo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    disks = re.search(r"simulated disks: (.*)", done.stdout)
    assert disks is not None, done.stdout
    devices = disks.group(1).split()
    assert len(devices) == 4
    assert all(d.startswith(("/dev/loop", "/tmp/station-demo.")) for d in devices)
    assert "approved" in done.stdout, done.stdout + done.stderr
    assert re.search(r'inventory_url: "http://127\.0\.0\.1:\d+"', done.stdout)
    # The demo supervisor can sign: a secret hash, never the code itself, in the profile.
    assert "demo secret code 2468" in done.stdout
    assert re.search(r'"formateur-01": "scrypt\$16384\$8\$1\$[0-9a-f]+\$[0-9a-f]+"', done.stdout)
    # Reads of the inventory need a sign-in: the demo makes a first admin and says how.
    assert re.search(
        r"sign in at http://127\.0\.0\.1:\d+/login as admin, password \S+", done.stdout
    )
    # Cleaned up: no demo folder left and the loop devices detached.
    work = Path(re.sub(r"/laptop-01\.img$", "", devices[0]))
    if devices[0].startswith("/dev/loop"):
        attached = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
        assert "station-demo." not in attached
    else:
        assert not work.exists()


def test_the_qr_of_a_demo_certificate_opens_its_page_on_the_demo_server(tmp_path: Path) -> None:
    """The issue's last "done when": the demo's inventory server serves the page that a
    certificate's QR code (decoded from the printed PDF) names."""
    cert = tmp_path / "certificat.pdf"
    env = {**os.environ, "DEMO_NO_TUI": "1", "DEMO_SIZE_MIB": "8", "PY": sys.executable,
           "DEMO_CERTIFICATE": "1", "DEMO_CERTIFICATE_OUT": str(cert)}  # fmt: skip
    env.pop("STATION_DATA_DIR", None)
    done = subprocess.run(
        [str(REPO / "scripts" / "demo.sh")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid certificate PDF: 1 certificate(s), 3 signed records" in done.stdout
    qr = re.search(
        r"QR code: (http://127\.0\.0\.1:\d+/verification/[0-9a-f]{64}\?\S+)", done.stdout
    )
    assert qr is not None, done.stdout
    assert re.search(
        r"verification page: 200 Certificat d'effacement n° [0-9a-f]{16} — ok: 3 "
        r"enregistrement\(s\) signé\(s\) vérifié\(s\)",
        done.stdout,
    ), done.stdout
    assert "EPN-4242" in PdfReader(cert).pages[0].extract_text()


def test_the_demo_back_office_walk_matches_the_records() -> None:
    """Issue 18's "done when" on the demo: the supervisor made by `make demo` signs in,
    creates a lot, sees the demo's erased machine under it, records a destination, and the
    donor and funder reports (read back from their PDFs) say what the records say; the
    CO2e is not computed since the demo configures no factor; no session, no page."""
    env = {**os.environ, "DEMO_NO_TUI": "1", "DEMO_SIZE_MIB": "8", "PY": sys.executable,
           "DEMO_CERTIFICATE": "1", "DEMO_BACK_OFFICE": "1"}  # fmt: skip
    for name in ("STATION_DATA_DIR", "STATION_CO2E_FACTOR_KG", "STATION_CO2E_SOURCE",
                 "STATION_CO2E_DATE"):  # fmt: skip
        env.pop(name, None)
    done = subprocess.run(
        [str(REPO / "scripts" / "demo.sh")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"back office: http://127\.0\.0\.1:\d+/ as encadrant, password \S+",
                     done.stdout)  # fmt: skip
    assert "back office: lot DEMO-2026: machines EPN-4242, received 1, erased 1" in done.stdout
    assert (
        "donor report: Machines reçues 1, Machines effacées 1, Machines réemployées 1"
        in done.stdout
    ), done.stdout
    assert "funder report: réemployés 1, CO2e: Non calculé : aucun facteur" in done.stdout
    assert "without a session: 401" in done.stdout
