"""The bench profile: the demo profile loads, bad input names its field, the generated
schema beside the profiles is up to date, and a badge or an id finds its operator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli.tui import bench_schema
from station.domain.bench_profile import BenchProfile, default_bench
from station.domain.disk import MediaKind
from station.errors import StationError
from station.jobs.profiles import load_wipe_profile
from station.tui.screens.login import operator_from
from station.yamlfile import load_model
from tests.conftest import REPO

pytestmark = pytest.mark.tui
DEMO = REPO / "profiles" / "bench" / "demo.yaml"
SCHEMA = REPO / "profiles" / "schema" / "bench-profile.schema.json"


def test_demo_bench_loads() -> None:
    bench = load_model(DEMO, BenchProfile)
    assert bench.operators and bench.supervisors
    simulated = bench.simulated("/tmp/x/laptop-02.img")
    assert simulated is not None and simulated.serial.endswith("02B3")


def test_schema_file_is_up_to_date() -> None:
    """Regenerate: station tui --print-bench-schema > profiles/schema/bench-profile.schema.json"""
    assert json.loads(SCHEMA.read_text()) == bench_schema()


def test_unknown_field_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.read_text() + "colour: blue\n")
    with pytest.raises(StationError) as caught:
        load_model(bad, BenchProfile)
    assert "colour" in caught.value.one_line()


def test_badge_and_typed_id_find_the_operator() -> None:
    bench = load_model(DEMO, BenchProfile)
    assert operator_from("BADGE-stagiaire-02", bench) == "stagiaire-02"
    assert operator_from("badge-STAGIAIRE-02", bench) == "stagiaire-02"
    assert operator_from(" stagiaire-01 ", bench) == "stagiaire-01"
    assert operator_from("formateur-01", bench) == "formateur-01"
    assert operator_from("BADGE-intrus", bench) is None


def test_an_allowlist_alone_never_makes_the_bench_simulated(tmp_path, monkeypatch):
    """docs/wipe.md suggests the allow-list for a dock: that bench must stay real."""
    from station.domain.bench_profile import default_bench
    from station.wiring import AllowlistDiskSource, Services, UdevDiskSource

    monkeypatch.setenv("STATION_DEVICE_ALLOWLIST", "/dev/sdb:/dev/sdc")
    monkeypatch.setenv("STATION_SIMULATED_BENCH", "")
    services = Services(data_dir=tmp_path, bench=default_bench(), image=None)
    real = services.disks
    assert isinstance(real, UdevDiskSource) and not real.simulated
    assert real.runner is services.runner  # discovery asks drives through the bench's runner
    monkeypatch.setenv("STATION_SIMULATED_BENCH", "1")
    demo = Services(data_dir=tmp_path, bench=default_bench(), image=None).disks
    assert isinstance(demo, AllowlistDiskSource) and demo.simulated


def test_shipped_benches_purge_flash_and_clear_hard_disks() -> None:
    """Issue 13: HDD -> Clear by overwrite; SATA SSD, NVMe, eMMC -> the drive's own
    Purge (nist-purge, which falls back to Clear with the reason)."""
    for bench in (
        default_bench(),
        load_model(DEMO, BenchProfile),
        load_model(REPO / "scripts" / "live" / "banc-exemple.yaml", BenchProfile),
    ):
        assert bench.wipe_profile_for(MediaKind.HDD) == "nist-clear"
        for flash in (MediaKind.SSD, MediaKind.NVME, MediaKind.EMMC):
            assert bench.wipe_profile_for(flash) == "nist-purge"
            assert load_wipe_profile(bench.wipe_profile_for(flash)).method == "purge"
