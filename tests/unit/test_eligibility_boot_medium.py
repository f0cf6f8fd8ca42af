"""Judging the boot-medium signals: agreement names the stick, disagreement refuses all."""

from __future__ import annotations

import pytest

from station.domain.boot_medium import BootSignals, judge_boot_medium
from station.domain.text import LocalizedText

STICK = frozenset({"sdc"})
UUID = "2b0c9bd6-6f0c-4d7e-9d26-9a8d1c1a7f00"


def test_installed_host_the_root_disk_is_the_system_disk() -> None:
    verdict = judge_boot_medium(BootSignals(root_disks=frozenset({"sda"})))
    assert not verdict.live
    assert verdict.clear
    assert verdict.root_disks == {"sda"}
    assert verdict.boot_disks == frozenset()


@pytest.mark.parametrize(
    "signals",
    [
        BootSignals(live_dir_present=True, medium_disks=STICK),
        BootSignals(cmdline_live=True, marker_uuid=UUID, marker_disks=STICK),
        BootSignals(
            live_dir_present=True, medium_disks=STICK, marker_uuid=UUID, marker_disks=STICK
        ),
        # the root of a live system is an overlay: no disk, nothing to disagree with
        BootSignals(live_dir_present=True, medium_disks=STICK, root_disks=frozenset()),
        BootSignals(live_dir_present=True, medium_disks=STICK, root_disks=STICK),
    ],
)
def test_signals_that_agree_name_the_stick(signals: BootSignals) -> None:
    verdict = judge_boot_medium(signals)
    assert verdict.live
    assert verdict.clear, verdict.unclear
    assert verdict.boot_disks == STICK


@pytest.mark.parametrize(
    ("signals", "why"),
    [
        (BootSignals(cmdline_live=True, marker_uuid=UUID), "is on no disk"),
        (
            BootSignals(marker_uuid=UUID, marker_disks=frozenset({"sdc", "sdd"})),
            "several disks",
        ),
        (
            BootSignals(
                live_dir_present=True,
                medium_disks=frozenset({"sdd"}),
                marker_uuid=UUID,
                marker_disks=STICK,
            ),
            "different disks",
        ),
        (BootSignals(live_dir_present=True, medium_disks=frozenset()), "not a known disk"),
        (BootSignals(live_dir_present=True), "neither"),
        (BootSignals(cmdline_live=True), "neither"),
        (
            BootSignals(live_dir_present=True, medium_disks=STICK, root_disks=frozenset({"sda"})),
            "different disk than the boot medium",
        ),
    ],
)
def test_signals_that_disagree_make_it_unclear(signals: BootSignals, why: str) -> None:
    verdict = judge_boot_medium(signals)
    assert verdict.live
    assert verdict.unclear is not None
    assert why in verdict.unclear.en
    assert verdict.unclear.fr != verdict.unclear.en


def test_toram_the_marker_names_the_stick_or_its_absence_means_pulled() -> None:
    plugged = judge_boot_medium(
        BootSignals(medium_in_ram=True, marker_uuid=UUID, marker_disks=STICK, cmdline_live=True)
    )
    assert plugged.clear and plugged.boot_disks == STICK
    pulled = judge_boot_medium(BootSignals(medium_in_ram=True, marker_uuid=UUID, cmdline_live=True))
    assert pulled.clear and pulled.boot_disks == frozenset()
    # Still unclear: a running root on a disk, or no marker to name a stick still plugged.
    on_disk = BootSignals(
        medium_in_ram=True, marker_uuid=UUID, root_disks=frozenset({"sda"}), cmdline_live=True
    )
    assert "is on no disk" in (judge_boot_medium(on_disk).unclear or _none()).en
    unnamed = BootSignals(medium_in_ram=True, cmdline_live=True)
    assert "neither" in (judge_boot_medium(unnamed).unclear or _none()).en


def _none() -> LocalizedText:
    return LocalizedText(fr="", en="(clear)")


def test_a_marker_alone_makes_the_system_live() -> None:
    # A marker on the command line is only ever set by the live image.
    verdict = judge_boot_medium(BootSignals(marker_uuid=UUID, marker_disks=STICK))
    assert verdict.live and verdict.clear and verdict.boot_disks == STICK
