"""The master's licence channel, read from its registry with the real hivexget, and the
pool/master channel rules: a key of a channel the master cannot take is never spent."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.devices.runner import CommandEvidence, SubprocessRunner
from station.domain.image_profile import LicencePolicy, LicenceSpec, WindowsMaster
from station.imaging.windows_master import (
    binary_in_listing,
    facts_from_hive,
    key_refusal,
    key_type_of,
)
from tests.block.windows_hive import GENERALIZED, digital_pid4, hive_reason, software_hive

needs_hivex = pytest.mark.skipif(bool(hive_reason()), reason=str(hive_reason()))


def pool(channel: str | None, edition: str | None = None) -> LicenceSpec:
    return LicenceSpec.model_validate(
        {"policy": LicencePolicy.KEY_POOL, "product": "win-pro", "pool": "refurb",
         "edition": edition, "channel": channel}
    )  # fmt: skip


def master(edition: str, key_type: str | None, version: str | None) -> WindowsMaster:
    return WindowsMaster(
        product_name="Windows", edition_id=edition, image_state=GENERALIZED,
        key_channel=key_type, nt_version=version,
    )  # fmt: skip


@needs_hivex
@pytest.mark.parametrize(
    ("key_type", "version"),
    [("Volume:GVLK", "10.0"), ("OEM:DM", "10.0"), ("Retail", "6.1"), ("Volume:MAK", "6.3")],
)
def test_channel_and_version_are_read_from_the_hive(
    tmp_path: Path, key_type: str, version: str
) -> None:
    hive = software_hive(tmp_path / "SOFTWARE", key_type=key_type, version=version)
    evidence: list[CommandEvidence] = []
    facts = facts_from_hive(SubprocessRunner(), hive, evidence)
    assert facts.key_channel == key_type
    assert facts.nt_version == version
    assert facts.edition_id == "Professional" and facts.generalized


@needs_hivex
def test_a_hive_without_digital_product_id4_has_no_channel(tmp_path: Path) -> None:
    hive = software_hive(tmp_path / "SOFTWARE")
    facts = facts_from_hive(SubprocessRunner(), hive, [])
    assert facts.key_channel is None and facts.nt_version is None and facts.channel is None


def test_regedit_export_with_wrapped_lines_is_read() -> None:
    """regedit writes `hex:` and wraps long values with a backslash; hivexget writes
    `hex(3):` on one line. Both give the same bytes."""
    blob = digital_pid4("OEM:NONSLP", "Core")
    pairs = [f"{b:02x}" for b in blob]
    wrapped = ",\\\n  ".join(",".join(pairs[i : i + 25]) for i in range(0, len(pairs), 25))
    listing = f'"EditionID"="Core"\n"DigitalProductId4"=hex:{wrapped}\n"X"=dword:00000001\n'
    assert binary_in_listing(listing, "DigitalProductId4") == blob
    assert key_type_of(blob) == "OEM:NONSLP"
    assert binary_in_listing('"DigitalProductId4"="text"\n', "DigitalProductId4") is None
    assert key_type_of(b"\x00" * 100) is None  # truncated: no channel, not a guess


@pytest.mark.parametrize(
    ("spec", "facts", "refused"),
    [
        # Windows 10/11: one media for every channel, a key of the edition switches it.
        (pool("retail"), master("Professional", "Volume:GVLK", "10.0"), None),
        (pool("volume"), master("Professional", "Retail", "10.0"), None),
        (pool("oem"), master("Core", "Retail", "10.0"), None),
        # An edition Microsoft does not sell in that channel.
        (pool("volume"), master("Core", "Retail", "10.0"), "n'existe pas en licence"),
        (pool("retail"), master("Education", "Volume:MAK", "10.0"), "n'existe pas en licence"),
        # Windows 7/8.x media are bound to a channel family.
        (pool("retail"), master("Professional", "Volume:MAK", "6.1"), "ne change pas de canal"),
        (pool("volume"), master("Professional", "OEM:SLP", "6.3"), "ne change pas de canal"),
        (pool("oem"), master("Professional", "Retail", "6.1"), None),
        # Unknown channel or version: nothing certain, nothing refused on that ground.
        (pool("retail"), master("Professional", None, "6.1"), None),
        (pool(None), master("Core", "Retail", "6.1"), None),
    ],
)
def test_channel_rules(spec: LicenceSpec, facts: WindowsMaster, refused: str | None) -> None:
    reason = key_refusal(spec, facts)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason and "aucune clé utilisée" in reason


def test_edition_is_checked_before_channel() -> None:
    reason = key_refusal(pool("retail", "Professional"), master("Core", "Retail", "10.0"))
    assert reason is not None and "clé Pro pour une image Famille" in reason
