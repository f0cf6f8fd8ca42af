"""The pusher's backoff and the sync state the UI shows (no server needed)."""

from __future__ import annotations

from station.sync.backoff import Backoff
from station.sync.state import SyncState


def test_backoff_doubles_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, maximum=8.0)
    delays = [backoff.next_delay() for _ in range(6)]
    nominal = [1, 2, 4, 8, 8, 8]
    assert all(n / 2 <= d <= n for d, n in zip(delays, nominal, strict=True))
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_the_state_label_follows_what_happened() -> None:
    assert SyncState().snapshot().label().en.startswith("No inventory configured")
    state = SyncState(server="http://inventory", pending=4)
    assert state.snapshot().label().fr == "Inventaire : connexion… · 4 en attente"
    state.failed("unreachable", online=False, pending=4, network=False)
    assert state.snapshot().label().fr == "Inventaire : réseau absent · 4 en attente"
    state.failed("unreachable", online=False, pending=4, network=True)
    assert state.snapshot().label().fr == "Inventaire : serveur injoignable · 4 en attente"
    assert state.snapshot().label().en == "Inventory: server unreachable · 4 pending"
    state.succeeded(sent=3, pending=1)
    snapshot = state.snapshot()
    assert (snapshot.online, snapshot.last_error, snapshot.sent) == (True, None, 3)
    assert snapshot.label().fr == "Inventaire en ligne · 1 en attente"
    state.failed("403 key_revoked", online=True, pending=1)
    assert state.snapshot().label().en == "Inventory refused a record · 1 pending"
