"""The server's fast envelope canonicalisation equals RFC 8785 (so digests agree)."""

from __future__ import annotations

import pytest

from station.inventory.verify import canonical_envelope
from station.journal.envelope import canonical, envelope_digest
from tests.server.signer import BenchSigner

pytestmark = pytest.mark.server


def test_real_envelopes_canonicalise_identically() -> None:
    bench = BenchSigner()
    for envelope in bench.chain(20, "smart_assessment"):
        assert canonical_envelope(envelope) == canonical(envelope)


@pytest.mark.parametrize("value", [
    "tab\there", "nl\n\r\b\f", "ctl\x00\x01\x1f\x7f", 'quote" back\\ slash/', "é ü 中 😀",
    "\u2028\u2029", "",
])  # fmt: skip
def test_awkward_strings_canonicalise_identically(value: str) -> None:
    envelope = {
        "payloadType": value,
        "payload": "e30=",
        "signatures": [{"keyid": value, "sig": "c2ln"}, {"sig": "", "keyid": "z"}],
    }
    assert canonical_envelope(envelope) == canonical(envelope)


def test_the_digest_is_the_journal_s() -> None:
    import hashlib

    envelope = BenchSigner().next()
    assert hashlib.sha256(canonical_envelope(envelope)).hexdigest() == envelope_digest(envelope)
