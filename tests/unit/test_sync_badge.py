"""The sync badge says "online" only once the server acknowledged a pushed record."""

from __future__ import annotations

from station.sync.state import SyncState


def test_online_only_after_a_record_was_pushed() -> None:
    state = SyncState(server="http://127.0.0.1:9", pending=3)
    assert "connexion" in state.snapshot().label().fr
    # An answer that proved nothing (a refusal) is not "online".
    state.failed("seq 1: refused", online=True, pending=3)
    assert "en ligne" not in state.snapshot().label().fr
    state.succeeded(sent=3, pending=0)
    assert state.snapshot().label().fr == "Inventaire en ligne · 0 en attente"
