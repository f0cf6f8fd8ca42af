"""make demo's back-office walk (DEMO_BACK_OFFICE=1): what a supervisor does in the
browser, through the same forms: sign in at /, create the lot DEMO-2026, see the demo's
erased machine under it, record its destination, download the donor and funder reports
and print their figures (read back from the PDFs), so they can be compared with the
records. Usage: demo_back_office.py URL USER PASSWORD"""

from __future__ import annotations

import io
import re
import sys
from datetime import date, timedelta

import requests
from pypdf import PdfReader


def csrf(session: requests.Session, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', session.get(url + "/").text)
    if found is None:
        raise SystemExit("back office: not signed in")
    return found.group(1)


def post(session: requests.Session, url: str, path: str, data: dict[str, str]) -> str:
    answer = session.post(url + path, data={"csrf_token": csrf(session, url), **data})
    if answer.status_code != 200:
        raise SystemExit(f"back office: {path} answered {answer.status_code}")
    return answer.text


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[ \u202f\u00a0]+", " ", text)


def figure(text: str, label: str) -> str:
    found = re.search(rf"{label} (\d+)", text)
    return found.group(1) if found else "?"


def main(url: str, user: str, password: str) -> None:
    session = requests.Session()
    session.post(url + "/login", data={"username": user, "password": password, "next": "/"})
    today = date.today()
    post(session, url, "/lots", {"code": "DEMO-2026", "donor": "Donateur de démonstration",
                                 "received_on": today.isoformat(), "expected_count": "4",
                                 "tag_prefix": "EPN-"})  # fmt: skip
    lot = session.get(url + "/lots/DEMO-2026").text
    machines = re.findall(r'href="/machines/([^"]+)"', lot)
    counts = {k: re.search(rf'id="count-{k}">(\d+)<', lot) for k in ("received", "erased")}
    print(f"back office: lot DEMO-2026: machines {' '.join(machines) or 'none'}, "
          + ", ".join(f"{k} {m.group(1) if m else '?'}" for k, m in counts.items()))  # fmt: skip
    for machine in machines[:1]:
        post(session, url, f"/machines/{machine}/destination",
             {"kind": "ecole", "organisation": "École de démonstration",
              "given_on": today.isoformat()})  # fmt: skip
    donor = pdf_text(session.get(url + "/rapports/donateur/DEMO-2026.pdf").content)
    period = f"du={today - timedelta(days=1)}&au={today + timedelta(days=1)}"
    funder = pdf_text(session.get(f"{url}/rapports/financeurs.pdf?{period}").content)
    print("donor report: " + ", ".join(
        f"{label} {figure(donor, label)}"
        for label in ("Machines reçues", "Machines effacées", "Machines réemployées")))  # fmt: skip
    co2e = re.search(r"CO2e évité (.*)", funder)
    print(
        f"funder report: réemployés {figure(funder, 'Appareils réemployés')}, "
        f"CO2e: {co2e.group(1) if co2e else '?'}"
    )
    print(f"without a session: {requests.get(url + '/lots/DEMO-2026').status_code}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
