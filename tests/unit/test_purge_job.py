"""run_purge end to end on a file standing for the disk, with drive answers replayed from
recorded outputs of real drives. The drive's effect on its data (erased or not) is played
by a side effect on the file: that is the layer below the one under test."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from station.devices import ata, nvme
from station.devices.runner import ReplayRunner
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.drive_capabilities import NvmeCapabilities
from station.domain.purge_plan import PlanStep, PurgePlan, StepKind, Technique, plan_for
from station.domain.results import Result
from station.domain.watermarks import watermark_positions
from station.errors import UsageError
from station.jobs.profiles import load_wipe_profile
from station.jobs.purge import PurgeContext, run_purge

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
PURGE = load_wipe_profile("nist-purge")
SIZE = 8 * 1024 * 1024


def _answering_yes(asked: list[bool]) -> Callable[[], bool]:
    """An unfreeze prompt that notes it was asked and says yes."""

    def ask() -> bool:
        asked.append(True)
        return True

    return ask


@pytest.fixture
def disk_file(tmp_path: Path) -> str:
    path = tmp_path / "disk.img"
    path.write_bytes(os.urandom(SIZE))  # old user data
    return str(path)


def erase_with(fill: Callable[[int], bytes], path: str) -> Callable[[tuple[str, ...]], None]:
    def effect(_argv: tuple[str, ...]) -> None:
        with open(path, "r+b") as handle:
            handle.write(fill(SIZE))

    return effect


def identity(path: str, kind: MediaKind, bus: Bus) -> DiskIdentity:
    return DiskIdentity(path=path, name="disk", size_bytes=SIZE, bus=bus, media_kind=kind)


def normal_erase(plan: PurgePlan) -> PurgePlan:
    """The recording ran the normal SECURITY ERASE UNIT, not the enhanced one."""
    steps = tuple(
        s.model_copy(update={"action": "normal"}) if s.kind is StepKind.ATA_SECURITY_ERASE else s
        for s in plan.steps
    )
    return plan.model_copy(update={"steps": steps})


def security_plan(case: str, path: str, name: str) -> PurgePlan:
    caps = ata.parse_identify((CASES / case / name).read_text())
    return normal_erase(plan_for(identity(path, MediaKind.HDD, Bus.ATA), caps, PURGE))


ERASE = ("hdparm", "--user-master", "u", "--security-erase", "Password")


def test_frozen_drive_unfrozen_by_the_operator_then_erased_is_purged(disk_file: str) -> None:
    case = "ata-ssd-frozen-then-security-erase"
    plan = security_plan(case, disk_file, "hdparm-I-1-frozen.txt")
    assert plan.steps[0].kind is StepKind.UNFREEZE
    runner = ReplayRunner(CASES / case, device=disk_file)
    runner.side_effects[(*ERASE, disk_file)] = erase_with(bytes, disk_file)
    asked: list[bool] = []
    context = PurgeContext(runner=runner, password="Password", unfreeze=_answering_yes(asked))
    report = run_purge(disk_file, plan, context, seed=b"fixed seed")
    assert asked == [True]
    assert report.result is Result.PURGED and report.purged
    assert report.watermarks is not None and report.watermarks.all_changed
    assert report.read_back is not None and report.read_back.ok
    assert report.password_used == "Password"
    record = report.to_record()
    assert record["technique"] == "security erase" and record["seed"] == b"fixed seed".hex()


def test_frozen_drive_left_frozen_falls_back_to_clear_with_the_reason(disk_file: str) -> None:
    case = "ata-ssd-frozen-then-security-erase"
    plan = security_plan(case, disk_file, "hdparm-I-1-frozen.txt")
    cleared: list[bool] = []
    context = PurgeContext(
        runner=ReplayRunner(CASES / case, device=disk_file),
        clear=lambda: cleared.append(True) or Result.CLEARED,
    )
    report = run_purge(disk_file, plan, context)
    assert cleared == [True]
    assert report.result is Result.CLEARED and not report.purged
    assert report.reason is not None and report.reason.en == "drive frozen"


def test_qemu_style_abort_hdparm_exit_0_security_still_enabled(disk_file: str) -> None:
    case = "ata-erase-aborted-security-still-enabled"
    plan = security_plan(case, disk_file, "hdparm-I-2-after-suspend.txt")
    runner = ReplayRunner(CASES / case, device=disk_file)
    before = Path(disk_file).read_bytes()
    report = run_purge(disk_file, plan, PurgeContext(runner=runner, password="Password"))
    assert report.result is Result.FAILED and not report.purged
    assert not report.firmware_done and "security still enabled" in report.firmware_detail
    assert (
        runner.count(["hdparm", "--user-master", "u", "--security-disable", "Password", disk_file])
        == 1
    )
    assert report.password_used == "Password"
    # Only the watermarks were written; nothing claimed the old data is gone.
    after = Path(disk_file).read_bytes()
    assert sum(a != b for a, b in zip(before, after, strict=True)) < SIZE // 2


def test_drive_that_reports_success_but_changes_nothing_is_not_purged(disk_file: str) -> None:
    """hdparm exits 0 and IDENTIFY looks right, but the data is untouched: watermarks say so."""
    case = "ata-ssd-frozen-then-security-erase"
    plan = security_plan(case, disk_file, "hdparm-I-1-frozen.txt")
    cleared: list[bool] = []
    context = PurgeContext(
        runner=ReplayRunner(CASES / case, device=disk_file),
        password="Password",
        unfreeze=lambda: True,
        clear=lambda: cleared.append(True) or Result.CLEARED,
    )
    report = run_purge(disk_file, plan, context)
    assert report.firmware_done  # the drive claimed it...
    assert not report.purged  # ...but the watermarks are still there
    assert report.watermarks is not None and not report.watermarks.all_changed
    assert report.result is Result.CLEARED and cleared == [True]


def test_nvme_without_sanitize_falls_back_to_format_crypto_erase(disk_file: str) -> None:
    case = "nvme-samsung980pro-sanicap0"
    caps = nvme.parse_id_ctrl((CASES / case / "id-ctrl.json.txt").read_text())
    plan = plan_for(identity(disk_file, MediaKind.NVME, Bus.NVME), caps, PURGE)
    assert plan.firmware_step == PlanStep(kind=StepKind.NVME_FORMAT, action="ses=2")
    assert plan.technique is Technique.CRYPTO_ERASE
    runner = ReplayRunner(CASES / case, device=disk_file)
    # A crypto erase leaves undecryptable noise (or zeros where the drive deallocates).
    runner.side_effects[("nvme", "format", disk_file, "--ses=2", "--force")] = erase_with(
        os.urandom, disk_file
    )
    report = run_purge(disk_file, plan, PurgeContext(runner=runner))
    assert report.result is Result.PURGED
    assert report.read_back is not None and report.read_back.blocks_other > 0  # noise, accepted


def test_nvme_sanitize_block_erase_polled_to_completion(disk_file: str) -> None:
    plan = PurgePlan(
        method="purge",
        technique=Technique.BLOCK_ERASE,
        label=PURGE.title,
        steps=(
            PlanStep(kind=StepKind.PLANT_WATERMARKS),
            PlanStep(kind=StepKind.NVME_SANITIZE, action="block_erase"),
            PlanStep(kind=StepKind.CHECK_WATERMARKS),
            PlanStep(kind=StepKind.READ_BACK),
        ),
    )
    runner = ReplayRunner(CASES / "nvme-sanitize-block-erase-progress", device=disk_file)
    runner.side_effects[("nvme", "sanitize", disk_file, "--sanact=2")] = erase_with(
        bytes, disk_file
    )
    seen: list[tuple[str, int | None]] = []
    report = run_purge(
        disk_file,
        plan,
        PurgeContext(runner=runner, sleep=lambda _s: None),
        on_progress=lambda phase, pct: seen.append((phase, pct)),
    )
    assert report.result is Result.PURGED
    assert ("purge", 6) in seen and ("purge", 50) in seen


def test_block_erase_that_leaves_old_data_in_the_read_back_is_not_purged(
    disk_file: str,
) -> None:
    plan = plan_for(
        identity(disk_file, MediaKind.NVME, Bus.NVME),
        NvmeCapabilities(sanicap=0x2, oacs=0x2, active_namespaces=1),
        PURGE,
    )
    runner = ReplayRunner(CASES / "nvme-sanitize-block-erase-progress", device=disk_file)

    def only_watermarks(_argv: tuple[str, ...]) -> None:
        # A buggy firmware that erases only some blocks (pitfall 6).
        with open(disk_file, "r+b") as handle:
            for offset in report_positions:
                handle.seek(offset)
                handle.write(bytes(4096))

    report_positions = watermark_positions(SIZE, 4096, b"seed", 1000)
    runner.side_effects[("nvme", "sanitize", disk_file, "--sanact=2")] = only_watermarks
    report = run_purge(
        disk_file, plan, PurgeContext(runner=runner, sleep=lambda _s: None), seed=b"seed"
    )
    assert report.watermarks is not None and report.watermarks.all_changed
    assert report.read_back is not None and report.read_back.blocks_other > 0
    # No Clear callback was given, so nothing else ran: the honest result is failed.
    assert not report.purged and report.result is Result.FAILED


def test_a_clear_plan_is_not_run_as_a_purge(disk_file: str) -> None:
    plan = plan_for(identity(disk_file, MediaKind.USB_FLASH, Bus.USB), None, PURGE)
    with pytest.raises(UsageError, match="Clear"):
        run_purge(
            disk_file,
            plan,
            PurgeContext(runner=ReplayRunner(CASES / "nvme-samsung980pro-sanicap0")),
        )


def test_nist_purge_profile() -> None:
    assert PURGE.method == "purge"
    assert PURGE.purge is not None and PURGE.purge.fallback == "clear"
