"""nvme-cli parsing and NVMe erase commands, on recorded outputs of real drives."""

from __future__ import annotations

from pathlib import Path

from station.devices import nvme
from station.devices.firmware_erase import Polling
from station.devices.runner import ReplayRunner
from station.domain.drive_capabilities import NvmeCapabilities

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


def test_samsung_980_pro_has_no_sanitize_but_format_crypto_erase() -> None:
    caps = nvme.parse_id_ctrl(
        (CASES / "nvme-samsung980pro-sanicap0" / "id-ctrl.json.txt").read_text()
    )
    assert caps.model == "Samsung SSD 980 PRO 1TB" and caps.serial == "S5P2NG0R824326R"
    assert caps.sanicap == 0
    assert not caps.sanitize_block_erase and not caps.sanitize_crypto_erase
    assert caps.format_supported and caps.format_crypto_erase
    assert not caps.format_all_namespaces


def test_wdc_sn730_older_json_layout_with_sanicap_bits() -> None:
    caps = nvme.parse_id_ctrl(
        (CASES / "nvme-wdc-sn730-sanicap-crypto-block" / "id-ctrl.json.txt").read_text()
    )
    assert caps.sanicap == 0x60000003
    assert caps.sanitize_crypto_erase and caps.sanitize_block_erase
    assert not caps.sanitize_overwrite


def test_sanitize_log_fields() -> None:
    case = CASES / "nvme-sanitize-block-erase-progress"
    running = nvme.parse_sanitize_log((case / "sanitize-log-1.txt").read_text())
    done = nvme.parse_sanitize_log((case / "sanitize-log-3.txt").read_text())
    assert running.status is nvme.SanitizeStatus.IN_PROGRESS and running.sprog == 3761
    assert running.percent_done == 6
    assert running.estimates_s["block_erase"] is None  # 4294967295: no time reported
    assert done.status is nvme.SanitizeStatus.COMPLETED and done.global_data_erased


def test_sanitize_polls_the_log_to_completion_with_progress() -> None:
    runner = ReplayRunner(CASES / "nvme-sanitize-block-erase-progress", device="/dev/nvme0")
    progress: list[int | None] = []
    polling = Polling(on_progress=progress.append, sleep=lambda _s: None)
    outcome = nvme.sanitize("/dev/nvme0", runner, "block_erase", polling)
    assert outcome.done
    assert "global data erased" in outcome.detail
    assert progress == [6, 50]
    assert runner.count(["nvme", "sanitize-log", "/dev/nvme0"]) == 3


def test_a_sanitize_in_progress_on_start_is_reported() -> None:
    runner = ReplayRunner(CASES / "nvme-sanitize-block-erase-progress", device="/dev/nvme0")
    busy, evidence = nvme.sanitize_in_progress("/dev/nvme0", runner)
    assert busy and evidence.ok


def test_format_with_crypto_erase_is_refused_when_fna_says_unsupported() -> None:
    """QEMU accepts --ses=2 although FNA denies crypto erase: Station checks FNA itself."""
    runner = ReplayRunner(CASES / "nvme-samsung980pro-sanicap0", device="/dev/nvme0n1")
    caps = NvmeCapabilities(oacs=0x2, fna=0)
    outcome = nvme.format_nvm("/dev/nvme0n1", runner, 2, caps)
    assert not outcome.done and "FNA" in outcome.detail
    assert runner.calls == []


def test_format_runs_when_capabilities_allow() -> None:
    runner = ReplayRunner(CASES / "nvme-samsung980pro-sanicap0", device="/dev/nvme0n1")
    caps, _ = nvme.read_capabilities("/dev/nvme0n1", runner)
    outcome = nvme.format_nvm("/dev/nvme0n1", runner, 2, caps)
    assert outcome.done and outcome.technique == "format_crypto_erase"


def test_format_covering_other_namespaces_is_not_sent() -> None:
    runner = ReplayRunner(CASES / "nvme-samsung980pro-sanicap0", device="/dev/nvme0n1")
    caps = NvmeCapabilities(oacs=0x2, fna=0x1, active_namespaces=2)
    outcome = nvme.format_nvm("/dev/nvme0n1", runner, 1, caps)
    assert not outcome.done and "all 2 namespaces" in outcome.detail
    assert runner.calls == []
