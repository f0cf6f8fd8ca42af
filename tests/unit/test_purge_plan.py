"""The purge planner per media kind (docs/sanitization.md table) and the watermark maths."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.devices import nvme
from station.domain.disk import Bus, DiskIdentity, MediaKind
from station.domain.drive_capabilities import (
    AtaCapabilities,
    AtaSecurity,
    HpaState,
    NvmeCapabilities,
)
from station.domain.purge_plan import StepKind, Technique, plan_for
from station.domain.watermarks import judge_watermarks, watermark_content, watermark_positions
from station.jobs.profiles import load_wipe_profile

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"

PURGE = load_wipe_profile("nist-purge")
CLEAR = load_wipe_profile("nist-clear")


def disk(kind: MediaKind, bus: Bus) -> DiskIdentity:
    return DiskIdentity(path="/dev/x", name="x", size_bytes=1 << 30, bus=bus, media_kind=kind)


SECURITY = AtaSecurity(
    supported=True, enhanced_erase_supported=True, erase_minutes=100, enhanced_erase_minutes=100
)
HDD = AtaCapabilities(solid_state=False, security=SECURITY)
SSD_SANITIZE = AtaCapabilities(
    solid_state=True, security=SECURITY, sanitize_supported=True, sanitize_block_erase=True
)
SSD_SECURITY_ONLY = AtaCapabilities(solid_state=True, security=SECURITY)

TABLE = [
    # kind, bus, capabilities, method, technique, firmware step, reason contains
    (
        MediaKind.HDD,
        Bus.ATA,
        HDD,
        "purge",
        Technique.SECURITY_ERASE,
        StepKind.ATA_SECURITY_ERASE,
        None,
    ),
    (
        MediaKind.HDD,
        Bus.ATA,
        HDD.model_copy(update={"sanitize_overwrite": True, "sanitize_supported": True}),
        "purge",
        Technique.OVERWRITE,
        StepKind.ATA_SANITIZE,
        None,
    ),
    (
        MediaKind.SSD,
        Bus.ATA,
        SSD_SANITIZE,
        "purge",
        Technique.BLOCK_ERASE,
        StepKind.ATA_SANITIZE,
        None,
    ),
    (
        MediaKind.SSD,
        Bus.ATA,
        SSD_SECURITY_ONLY,
        "clear",
        Technique.OVERWRITE,
        None,
        "no sanitize support",
    ),
    (
        MediaKind.NVME,
        Bus.NVME,
        NvmeCapabilities(sanicap=0x3, oacs=0x2, active_namespaces=1),
        "purge",
        Technique.CRYPTO_ERASE,
        StepKind.NVME_SANITIZE,
        None,
    ),
    (
        MediaKind.NVME,
        Bus.NVME,
        NvmeCapabilities(sanicap=0x2, oacs=0x2, active_namespaces=1),
        "purge",
        Technique.BLOCK_ERASE,
        StepKind.NVME_SANITIZE,
        None,
    ),
    (
        MediaKind.NVME,
        Bus.NVME,
        NvmeCapabilities(sanicap=0, fna=4, oacs=0x17),
        "purge",
        Technique.CRYPTO_ERASE,
        StepKind.NVME_FORMAT,
        None,
    ),
    (
        MediaKind.NVME,
        Bus.NVME,
        NvmeCapabilities(sanicap=0, fna=0, oacs=0x2),
        "purge",
        Technique.FORMAT,
        StepKind.NVME_FORMAT,
        None,
    ),
    (
        MediaKind.NVME,
        Bus.NVME,
        NvmeCapabilities(sanicap=0, fna=0, oacs=0),
        "clear",
        Technique.OVERWRITE,
        None,
        "only Clear",
    ),
    (
        MediaKind.HDD,
        Bus.USB,
        HDD,
        "clear",
        Technique.OVERWRITE,
        None,
        "connect to SATA/NVMe to purge",
    ),
    (MediaKind.USB_FLASH, Bus.USB, None, "clear", Technique.OVERWRITE, None, "destroy"),
    (MediaKind.SD, Bus.MMC, None, "clear", Technique.OVERWRITE, None, "destroy"),
    (MediaKind.EMMC, Bus.MMC, None, "clear", Technique.OVERWRITE, None, "eMMC"),
    (MediaKind.VIRTUAL, Bus.VIRTIO, None, "clear", Technique.OVERWRITE, None, "virtual"),
]


@pytest.mark.parametrize(
    ("kind", "bus", "caps", "method", "technique", "step", "reason"),
    TABLE,
    ids=[f"{t[0]}-{t[1]}-{t[3]}-{t[4]}" for t in TABLE],
)
def test_plan_per_media(
    kind: MediaKind,
    bus: Bus,
    caps: object,
    method: str,
    technique: Technique,
    step: StepKind | None,
    reason: str | None,
) -> None:
    plan = plan_for(disk(kind, bus), caps, PURGE)  # type: ignore[arg-type]
    assert plan.method == method
    assert plan.technique is technique
    assert (plan.firmware_step.kind if plan.firmware_step else None) is step
    if method == "purge":
        kinds = [s.kind for s in plan.steps]
        assert kinds.index(StepKind.PLANT_WATERMARKS) < kinds.index(step)  # type: ignore[arg-type]
        assert kinds[-2:] == [StepKind.CHECK_WATERMARKS, StepKind.READ_BACK]
        assert plan.label.en.startswith("Purge")
    else:
        assert plan.label.en == "Clear (Overwrite)"
        assert reason is not None and plan.reason is not None and reason in plan.reason.en
        assert plan.reason.fr


def test_a_frozen_drive_gets_an_operator_unfreeze_step() -> None:
    frozen = HDD.model_copy(update={"security": SECURITY.model_copy(update={"frozen": True})})
    plan = plan_for(disk(MediaKind.HDD, Bus.ATA), frozen, PURGE)
    unfreeze = [s for s in plan.steps if s.kind is StepKind.UNFREEZE]
    assert len(unfreeze) == 1 and unfreeze[0].operator_action


def test_a_locked_drive_cannot_be_purged() -> None:
    locked = HDD.model_copy(
        update={"security": SECURITY.model_copy(update={"enabled": True, "locked": True})}
    )
    plan = plan_for(disk(MediaKind.HDD, Bus.ATA), locked, PURGE)
    assert plan.method == "clear" and plan.reason is not None and "password" in plan.reason.en


def test_hpa_is_removed_first_and_clear_profiles_never_purge() -> None:
    hpa = HpaState(visible_sectors=310484656, native_sectors=312581808, hpa_enabled=True)
    plan = plan_for(disk(MediaKind.HDD, Bus.ATA), HDD, PURGE, hpa=hpa)
    assert plan.steps[0].kind is StepKind.RESTORE_NATIVE_MAX
    assert plan.steps[0].action == "312581808"
    clear = plan_for(disk(MediaKind.NVME, Bus.NVME), NvmeCapabilities(sanicap=3), CLEAR)
    assert clear.method == "clear" and clear.reason is None


def test_watermarks_one_per_subsection_reproducible_from_the_seed() -> None:
    size, block = 64 * 1024 * 1024, 4096
    positions = watermark_positions(size, block, b"seed", subsections=1000)
    assert positions == watermark_positions(size, block, b"seed", subsections=1000)
    assert positions != watermark_positions(size, block, b"other", subsections=1000)
    assert positions[0] == 0 and positions[-1] == size - block
    assert all(p % block == 0 and p + block <= size for p in positions)
    blocks = size // block
    bounds = [(i * blocks // 1000 * block, (i + 1) * blocks // 1000 * block) for i in range(1000)]
    assert all(any(lo <= p < hi for p in positions) for lo, hi in bounds)  # >= 1 in each
    assert len(positions) >= 1000


def test_watermark_judgement() -> None:
    seed, block, positions = b"s", 512, [0, 512, 1024]
    planted = [watermark_content(seed, p, block) for p in positions]
    assert not judge_watermarks(seed, block, positions, planted).all_changed
    zeros = [bytes(block)] * 3
    assert judge_watermarks(seed, block, positions, zeros).all_changed
    one_left = [bytes(block), planted[1], None]
    check = judge_watermarks(seed, block, positions, one_left)
    assert not check.all_changed
    assert check.unchanged_offsets == (512,) and check.unreadable_offsets == (1024,)


@pytest.mark.parametrize(
    ("caps", "method", "step", "reason"),
    [
        # Sanitize is controller-wide: two namespaces, no sanitize; Format per namespace.
        (
            NvmeCapabilities(sanicap=0x3, oacs=0x2, fna=0, active_namespaces=2),
            "purge",
            StepKind.NVME_FORMAT,
            None,
        ),
        # Format that covers every namespace (FNA bit 0 or 1) is refused as well.
        (
            NvmeCapabilities(sanicap=0x3, oacs=0x2, fna=0x1, active_namespaces=2),
            "clear",
            None,
            "2 namespaces",
        ),
        (
            NvmeCapabilities(sanicap=0, oacs=0x2, fna=0x6, active_namespaces=3),
            "clear",
            None,
            "3 namespaces",
        ),
        # Not counted: no controller-wide command either.
        (
            NvmeCapabilities(sanicap=0x2, oacs=0, active_namespaces=None),
            "clear",
            None,
            "namespace count unknown",
        ),
    ],
)
def test_nvme_purge_never_reaches_other_namespaces(
    caps: NvmeCapabilities, method: str, step: StepKind | None, reason: str | None
) -> None:
    plan = plan_for(disk(MediaKind.NVME, Bus.NVME), caps, PURGE)
    assert plan.method == method
    kinds = [s.kind for s in plan.steps]
    if step is not None:
        assert step in kinds and StepKind.NVME_SANITIZE not in kinds
    else:
        assert StepKind.NVME_SANITIZE not in kinds and StepKind.NVME_FORMAT not in kinds
    if reason is not None:
        assert plan.reason is not None and reason in plan.reason.en
        assert "espaces de noms" in plan.reason.fr


def test_labels_name_the_command_and_the_ieee_2883_technique() -> None:
    caps = nvme.parse_id_ctrl(
        (CASES / "nvme-wdc-sn730-sanicap-crypto-block" / "id-ctrl.json.txt").read_text()
    ).model_copy(update={"active_namespaces": 1})
    nvme_disk = DiskIdentity(
        path="/dev/nvme0n1", name="nvme0n1", size_bytes=1, bus=Bus.NVME, media_kind=MediaKind.NVME
    )
    plan = plan_for(nvme_disk, caps, load_wipe_profile("nist-purge"))
    assert plan.label.en == "Purge (NVMe Sanitize, Cryptographic Erase)"
    assert plan.label.fr == (
        "Purge (NVMe Sanitize, effacement cryptographique — Cryptographic Erase)"
    )
