"""nvme-cli parsing and NVMe erase commands, on recorded outputs of real drives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from station.devices import nvme
from station.devices.firmware_erase import Polling
from station.devices.runner import CommandEvidence, ReplayRunner
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.drive_capabilities import NvmeCapabilities
from station.domain.purge_plan import plan_for
from station.errors import CommandError
from station.jobs.profiles import load_wipe_profile
from station.jobs.purge import gather_firmware_facts

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


def test_id_ctrl_in_text_layout_is_read_not_a_crash() -> None:
    """Issue 13: some nvme-cli builds print the normal layout whatever `-o json` says;
    json.loads raised JSONDecodeError out of gather_firmware_facts and the job died."""
    caps = nvme.parse_id_ctrl(
        (CASES / "nvme-toshiba-kxg6-id-ctrl-text" / "id-ctrl.txt").read_text()
    )
    assert caps.model == "KXG6AZNV512G TOSHIBA"
    assert caps.sanicap == 0x3 and caps.fna == 0x4 and caps.oacs == 0x1F
    assert caps.sanitize_crypto_erase and caps.sanitize_block_erase


def test_id_ctrl_with_a_warning_before_the_json_is_read() -> None:
    text = (CASES / "nvme-samsung980pro-sanicap0" / "id-ctrl.json.txt").read_text()
    caps = nvme.parse_id_ctrl("warning: unrecognized option\n" + text)
    assert caps.model == "Samsung SSD 980 PRO 1TB"


def test_unreadable_id_ctrl_is_a_command_error() -> None:
    with pytest.raises(CommandError):
        nvme.parse_id_ctrl("NVMe status: INVALID_FIELD: A reserved coded value (0x2)\n")


def test_a_leftover_completed_log_of_another_action_is_not_accepted() -> None:
    """The log says the LAST sanitize (SCDW10 0x2, a block erase) completed; a crypto
    erase was asked. That completion is not this sanitize's."""
    runner = ReplayRunner(CASES / "nvme-sanitize-log-leftover-crypto-request", device="/dev/nvme0")
    outcome = nvme.sanitize("/dev/nvme0", runner, "crypto_erase", Polling(sleep=lambda _s: None))
    assert not outcome.done
    assert "another action" in outcome.detail
    log = nvme.parse_sanitize_log(
        (
            CASES
            / "nvme-sanitize-log-leftover-crypto-request"
            / "sanitize-log-completed-sanact2.txt"
        ).read_text()
    )
    assert log.sanact == 2


class _TruncatedIdCtrl:
    """The Samsung 980 PRO's real id-ctrl JSON cut in half (nvme-cli killed mid-write)."""

    def __init__(self) -> None:
        self.replay = ReplayRunner(CASES / "nvme-samsung980pro-sanicap0", device="/dev/nvme0n1")

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        answer = self.replay.run(argv, timeout=timeout)
        return replace(answer, stdout=answer.stdout[: len(answer.stdout) // 2])


def test_unreadable_id_ctrl_falls_back_to_clear_instead_of_crashing() -> None:
    identity = DiskIdentity(
        path="/dev/nvme0n1",
        name="nvme0n1",
        size_bytes=1 << 30,
        bus=Bus.NVME,
        media_kind=MediaKind.NVME,
    )
    facts = gather_firmware_facts(identity, _TruncatedIdCtrl())
    assert facts.capabilities is None
    plan = plan_for(identity, facts.capabilities, load_wipe_profile("nist-purge"))
    assert plan.method == "clear" and plan.reason is not None
