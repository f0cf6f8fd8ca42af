"""The issue's walk through the back office in a real headless Chromium (issue 18, "Tests"):
a supervisor signs in at /, creates a lot, sees the machines appear as a bench erases
disks on loop devices and syncs its signed records, records a destination (and reads that
page in English, then French again), and downloads the donor report, read back with
pypdf: its figures are the records'."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.cdp import Chromium
from tests.conftest import LoopFactory
from tests.server.conftest import Api
from tests.server.test_partner_reports import pdf_text

pytestmark = pytest.mark.server
MIB = 1024 * 1024


def bench_command(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "station", *args], capture_output=True,
                          text=True, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, (args, done.stderr[-2000:])
    return done.stdout + done.stderr


def bench_erases_and_syncs(api: Api, make_loop: LoopFactory, root: Path) -> None:
    """Two laptops' disks (loop devices) erased by `station wipe` with their asset tags,
    the bench enrolled and approved, its journal pushed by `station sync`."""
    devices = [make_loop(16 * MIB, name=tag) for tag in ("TOT-0001", "TOT-0002")]
    # After make_loop: its STATION_DEVICE_ALLOWLIST names these devices and nothing else.
    env = {**os.environ, "STATION_DATA_DIR": str(root / "bench-data"),
           "STATION_SIMULATED_BENCH": "1"}  # fmt: skip
    for tag, device in zip(("TOT-0001", "TOT-0002"), devices, strict=True):
        with open(device, "r+b") as disk:  # "user data" for the erasure to remove
            disk.write(os.urandom(MIB))
        bench_command(env, "wipe", device, "--yes", "--asset-tag", tag, "--lot", "LOT-TOT-01",
                      "--donor", "Raffinerie de Donges", "--operator", "stagiaire-03")  # fmt: skip
    enrolled = bench_command(env, "enrol", "--server", api.url, "--name", "poste 1")
    bench_id = re.search(r"\b(bench-[0-9a-f]+)\b", enrolled)
    assert bench_id, enrolled
    assert api.admin(f"/v1/admin/benches/{bench_id.group(1)}/approve").status_code == 200
    bench_command(env, "sync", "--server", api.url)


def test_a_supervisor_walks_the_back_office_in_chromium(
    sqlite_api: Api, make_loop: LoopFactory, tmp_path: Path
) -> None:
    sqlite_api.sign_in("claire", "encadrant")  # the user, as `station-inventory user add`
    with Chromium(tmp_path / "downloads") as browser:
        browser.open(sqlite_api.url + "/v1/disks")
        assert "sign_in_required" in browser.text()  # no session, no data
        browser.open(sqlite_api.url + "/")
        browser.fill("input[name=username]", "claire")
        browser.fill("input[name=password]", "correct horse battery")
        browser.click("form[action='/login'] button")
        assert "Bonjour claire" in browser.text()

        browser.click("a[href='/lots']")
        for name, value in (("code", "LOT-TOT-01"), ("donor", "Raffinerie de Donges"),
                            ("received_on", "2026-11-20"), ("expected_count", "2"),
                            ("tag_prefix", "TOT-")):  # fmt: skip
            browser.fill(f"#new-lot [name={name}]", value)
        browser.click("#new-lot button")
        assert browser.url.endswith("/lots/LOT-TOT-01")
        assert browser.text("#count-received") == "0"

        bench_erases_and_syncs(sqlite_api, make_loop, tmp_path)
        browser.open(browser.url)  # the supervisor reloads the lot's page
        machines = browser.text("#machines")
        assert "TOT-0001" in machines and "TOT-0002" in machines
        assert browser.text("#count-received") == "2" and browser.text("#count-erased") == "2"

        browser.click("a[href='/machines/TOT-0001']")
        assert "effacé (Clear)" in browser.text("#disks")
        browser.fill("#record-destination [name=kind]", "ecole")
        browser.fill("#record-destination [name=organisation]", "École Jules Ferry")
        browser.fill("#record-destination [name=given_on]", date.today().isoformat())
        browser.click("#record-destination button")
        assert "École Jules Ferry" in browser.text("#destinations")
        # « English » in the header: the same page again, in English, until « Français ».
        browser.click("a[href='/langue/en']")
        assert browser.url.endswith("/machines/TOT-0001")
        assert "Identity (DMI / SMBIOS)" in browser.text("main")
        assert "cleared (Clear)" in browser.text("#disks")
        assert "School (école)" in browser.text("#destinations")
        browser.click("a[href='/langue/fr']")
        assert "Identité (DMI / SMBIOS)" in browser.text("main")

        browser.click("a[href='/lots/LOT-TOT-01']")
        assert browser.text("#count-given") == "1"
        saved = browser.download("a[href='/rapports/donateur/LOT-TOT-01.pdf']")
    text = pdf_text(saved.read_bytes())
    assert re.search(r"Machines reçues 2(?!\d)", text) and re.search(r"effacées 2(?!\d)", text)
    assert re.search(r"Machines réemployées 1(?!\d)", text)
    assert "TOT-0001" in text and "École : École Jules Ferry" in text
    assert "TOT-0002" in text and "en stock" in text
    assert len(re.findall(r"\b[0-9a-f]{16}\b", text)) == 2  # each disk's certificate number
