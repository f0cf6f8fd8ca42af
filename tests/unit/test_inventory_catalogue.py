"""The back office's English catalogue holds every French text of its pages and modules,
and the compiled .mo matches its .po (rebuild with `python -m station.inventory.catalogue
update` then `compile`), as tests/tui/test_catalogue.py does for the TUI."""

from __future__ import annotations

import re
from io import BytesIO

from station.inventory import i18n
from station.inventory.catalogue import code_message_ids, compiled, po_path


def _catalogue() -> dict[str, str]:
    from babel.messages.pofile import read_po

    with po_path().open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale="en") if m.id}


def test_every_text_of_the_pages_is_translated_to_english() -> None:
    catalogue = _catalogue()
    found = code_message_ids()
    # The extraction sees the templates and the Python modules alike.
    assert {"Nouveau lot", "Journal du jour — %(day)s", "purgé (Purge)"} <= found
    missing = sorted(m for m in found if not catalogue.get(m))
    assert not missing, f"python -m station.inventory.catalogue update, then translate: {missing}"


def test_the_catalogue_keeps_no_stale_texts() -> None:
    stale = sorted(set(_catalogue()) - code_message_ids())
    assert not stale, f"no longer in the code: {stale}"


def test_compiled_catalogue_is_up_to_date() -> None:
    from babel.messages.mofile import read_mo

    def messages(data: bytes) -> dict[str, str]:
        return {str(m.id): str(m.string) for m in read_mo(BytesIO(data)) if m.id}

    committed = messages(po_path().with_suffix(".mo").read_bytes())
    assert committed, "the committed .mo holds no message"
    assert committed == messages(compiled()), "run: python -m station.inventory.catalogue compile"


def test_placeholders_survive_translation() -> None:
    for french, english in _catalogue().items():
        fields = sorted(re.findall(r"%\([a-z_]+\)s|%%", french))
        assert sorted(re.findall(r"%\([a-z_]+\)s|%%", english)) == fields, french


def test_the_language_follows_the_cookie_then_the_browser_then_french() -> None:
    assert i18n.choose("", "") == "fr"
    assert i18n.choose("", "en-GB,en;q=0.9,fr;q=0.8") == "en"
    assert i18n.choose("", "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7") == "fr"
    assert i18n.choose("", "de-DE,en;q=0.5,fr;q=0.4") == "en"
    assert i18n.choose("", "de-DE, es;q=0.8") == "fr"
    assert i18n.choose("", "en;q=0, fr;q=0.1") == "fr"
    assert i18n.choose("station_lang=en", "fr-FR") == "en"
    assert i18n.choose("station_lang=fr", "en-US") == "fr"
    assert i18n.choose("station_lang=xx", "en-US") == "en"  # an unknown choice: the browser
    assert i18n.choose('a="unterminated; station_lang=en', "") in i18n.LANGUAGES


def test_outside_a_request_the_texts_are_french_and_english_comes_from_the_mo() -> None:
    assert i18n._("Nouveau lot") == "Nouveau lot"
    token = i18n._current.set("en")
    try:
        assert i18n._("Nouveau lot") == "New lot"
        assert i18n._("purgé (Purge)") == "purged (Purge)"
    finally:
        i18n._current.reset(token)
