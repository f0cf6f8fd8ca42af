"""The French catalogue holds every string of the TUI, and the compiled .mo matches
its .po (rebuild with `python -m station.tui.catalogue update` then `compile`)."""

from __future__ import annotations

import pytest

from station.tui import i18n
from station.tui.catalogue import code_message_ids, compiled, po_path

pytestmark = pytest.mark.tui


def _catalogue() -> dict[str, str]:
    from babel.messages.pofile import read_po

    with po_path("fr").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale="fr") if m.id}


def test_every_string_of_the_code_is_translated_to_french() -> None:
    catalogue = _catalogue()
    missing = sorted(m for m in code_message_ids() if not catalogue.get(m))
    assert not missing, f"add them: python -m station.tui.catalogue update: {missing}"


def test_the_catalogue_keeps_no_stale_strings() -> None:
    stale = sorted(set(_catalogue()) - code_message_ids())
    assert not stale, f"no longer in the code: {stale}"


def _messages_of_mo(data: bytes) -> dict[str, str]:
    """Every message and its translation, without the header (whose generator line
    changes with each Babel release and says nothing about the catalogue)."""
    from io import BytesIO

    from babel.messages.mofile import read_mo

    return {str(m.id): str(m.string) for m in read_mo(BytesIO(data)) if m.id}


def test_compiled_catalogue_is_up_to_date() -> None:
    committed = _messages_of_mo(po_path("fr").with_suffix(".mo").read_bytes())
    fresh = _messages_of_mo(compiled("fr"))
    assert committed, "the committed .mo holds no message"
    assert committed == fresh, "run: python -m station.tui.catalogue compile"


def test_placeholders_survive_translation() -> None:
    import re

    for message, french in _catalogue().items():
        fields = sorted(re.findall(r"\{[^}]*\}", message))
        assert sorted(re.findall(r"\{[^}]*\}", french)) == fields, message


def test_a_string_missing_from_the_catalogue_is_caught() -> None:
    """The runtime check the other tui tests rely on really records a miss."""
    i18n.set_language("fr")
    assert i18n._("waiting") == "en attente"
    assert i18n._("a string nobody translated") == "a string nobody translated"
    assert "a string nobody translated" in i18n.missing()
    i18n.reset_missing()
