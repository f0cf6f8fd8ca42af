"""The back office in English (issue 18: « French first, English available »): a signed-in
person clicks « English » in the header and every page they see is in English; the
browser's Accept-Language chooses when they have not; French otherwise.

Real server on 127.0.0.1, real SQLite, a lot with a laptop synced by a real bench journal.
The check reads each page's headings, table headers, labels, buttons and links, and
fails on any that is a French text of the catalogue whose English differs."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
import requests

from station.inventory.catalogue import po_path
from tests.server.conftest import Api
from tests.server.test_back_office import LOT, lot_with_machine, supervisor

pytestmark = pytest.mark.server
TODAY = date.today().isoformat()
# Each page and an English text it must show.
PAGES = {
    "/": "Hello claire",
    "/lots": "New lot",
    "/lots/LOT-TOT-01": "Report for the donor (PDF)",
    "/machines": "Search (asset tag, serial number, model, lot)",
    "/machines/TOT-0001": "Identity (DMI / SMBIOS)",
    "/postes": "Records received",
    f"/rapports?du=2026-01-01&au={TODAY}": "Devices reconditioned",
    "/daily": "Daily log",
}
ELEMENTS = re.compile(
    r"<(h1|h2|th|label|button|title|a|option|p)\b[^>]*>(.*?)</\1>", re.DOTALL | re.IGNORECASE
)


def french_only() -> set[str]:
    """The catalogue's French texts whose English is another text (not « Machines »)."""
    from babel.messages.pofile import read_po

    with po_path().open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    return {str(m.id) for m in catalogue if m.id and m.string and m.string != m.id}


def french_left(page: str, french: set[str]) -> list[str]:
    """Texts of headings, labels, buttons, links and paragraphs that are French ids,
    whole or as the text before a field (a label's words before its input)."""
    left = []
    for _tag, inner in ELEMENTS.findall(page):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        before_field = " ".join(html.unescape(re.split(r"<(?:input|select|textarea)", inner)[0])
                                .split())  # fmt: skip
        if text in french or before_field in french:
            left.append(text)
    return left


def record_destination(claire: object, api: Api) -> None:
    answer = claire.post(  # type: ignore[attr-defined]
        "/machines/TOT-0001/destination",
        {"kind": "ecole", "organisation": "École Jules Ferry", "given_on": TODAY},
    )
    assert answer.status_code == 303, answer.text[:300]


def test_a_signed_in_person_switches_to_english_and_every_page_follows(
    sqlite_api: Api, tmp_path: Path
) -> None:
    claire = lot_with_machine(sqlite_api, tmp_path)
    record_destination(claire, sqlite_api)
    french = french_only()
    # French first: the header offers English, the pages are French.
    home = claire.page("/")
    assert '<html lang="fr">' in home and 'href="/langue/en">English</a>' in home
    assert "Bonjour claire" in home
    # The link, clicked on the lot page, sets the cookie and comes back to that page.
    back = claire.session.get(
        sqlite_api.url + "/langue/en",
        headers={"Referer": sqlite_api.url + "/lots/LOT-TOT-01"},
        allow_redirects=False,
        timeout=30,
    )
    assert back.status_code == 303 and back.headers["location"] == "/lots/LOT-TOT-01"
    assert claire.session.cookies.get("station_lang") == "en"
    for path, english in PAGES.items():
        page = claire.page(path)
        assert english in page, (path, english)
        assert french_left(page, french) == [], path
        assert "Sign out" in page or path == "/daily", path
    lot = claire.page("/lots/LOT-TOT-01")
    assert '<html lang="en">' in lot and 'href="/langue/fr">Français</a>' in lot
    for words in ("Donor", "Received on", "Progress", "erased", "Attach machines"):
        assert words in lot, words
    machine = claire.page("/machines/TOT-0001")
    for words in ("purged (Purge)", "School (école)", "Recorded by", "Kind of beneficiary",
                  "Functional tests and grade"):  # fmt: skip
        assert words in machine, words
    assert "approved" in claire.page("/postes")
    # Errors and refusals in English too: a form error, a page not found.
    bad = claire.post("/lots", {**LOT, "code": "bad code"})
    assert bad.status_code == 422 and "Lot code: letters, digits" in bad.text
    assert "No lot NOPE." in claire.page("/lots/NOPE", 404)
    assert french_left(claire.page("/lots/NOPE", 404), french) == []
    # Back to French with the other link.
    claire.session.get(sqlite_api.url + "/langue/fr", timeout=30)
    assert "Nouveau lot" in claire.page("/lots")


def test_the_browser_language_chooses_until_the_person_does(
    sqlite_api: Api, tmp_path: Path
) -> None:
    lot_with_machine(sqlite_api, tmp_path)
    french = french_only()
    visitor = requests.get(
        sqlite_api.url + "/", headers={"Accept-Language": "en-GB,en;q=0.9"}, timeout=30
    )
    assert "Verify an erasure certificate" in visitor.text and "Password" in visitor.text
    assert french_left(visitor.text, french) == []
    french_browser = {"Accept-Language": "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7"}
    french_visitor = requests.get(sqlite_api.url + "/", headers=french_browser, timeout=30)
    assert "Mot de passe" in french_visitor.text and "Password" not in french_visitor.text
    denied = requests.get(sqlite_api.url + "/daily", headers={"Accept-Language": "en"}, timeout=30)
    assert denied.status_code == 401 and "Sign-in required" in denied.text
    reader = supervisor(sqlite_api, "audrey", "lecture")
    reader.session.headers["Accept-Language"] = "en-US,en;q=0.9"
    assert "New lot" not in reader.page("/lots") and "Lots" in reader.page("/lots")
    refused = reader.post("/lots", LOT)
    assert refused.status_code == 403 and "Your role (read only) does not allow changes." in (
        refused.text
    )
    assert french_left(refused.text, french) == []
    # A French browser: French; the person's choice of English wins over it.
    reader.session.headers["Accept-Language"] = french_browser["Accept-Language"]
    assert "Reçu le" in reader.page("/lots")
    reader.session.get(sqlite_api.url + "/langue/en", timeout=30)
    assert "Received on" in reader.page("/lots")
