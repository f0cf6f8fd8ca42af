"""The pure eligibility decision: each fact gives its own refusal, in French and English."""

from __future__ import annotations

import pytest

from station.domain.boot_medium import BootMedium
from station.domain.eligibility import DiskFacts, RefusalCode, decide
from station.domain.text import LocalizedText

IDLE = DiskFacts(name="sdb", size_bytes=10**9)


def test_an_idle_disk_is_eligible() -> None:
    verdict = decide(IDLE)
    assert verdict.eligible
    assert verdict.reasons == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"mounts": ["sdb1 → /mnt"]}, RefusalCode.MOUNTED),
        ({"swaps": ["/dev/sdb2"]}, RefusalCode.SWAP),
        ({"holders": ["sdb2 → dm-0"]}, RefusalCode.HOLDERS),
        ({"read_only": True}, RefusalCode.READ_ONLY),
        ({"size_bytes": 0}, RefusalCode.ZERO_SIZE),
        ({"sanitize_in_progress": True}, RefusalCode.SANITIZE_IN_PROGRESS),
        ({"boot": BootMedium(live=True, boot_disks=frozenset({"sdb"}))}, RefusalCode.BOOT_MEDIUM),
        ({"boot": BootMedium(live=False, root_disks=frozenset({"sdb"}))}, RefusalCode.SYSTEM_DISK),
        ({"boot": BootMedium(live=True, root_disks=frozenset({"sdb"}))}, RefusalCode.BACKS_ROOT),
        (
            {"boot": BootMedium(live=True, unclear=LocalizedText(fr="x", en="y"))},
            RefusalCode.BOOT_MEDIUM_UNCLEAR,
        ),
        ({"is_whole_disk": False}, RefusalCode.NOT_A_DISK),
    ],
)
def test_each_fact_refuses_with_its_code(changes: dict[str, object], code: RefusalCode) -> None:
    verdict = decide(IDLE.model_copy(update=changes))
    assert not verdict.eligible
    assert verdict.codes == [code]
    message = verdict.reasons[0].message
    assert message.fr != message.en, "both languages, really translated"


def test_every_reason_is_listed_not_only_the_first() -> None:
    facts = IDLE.model_copy(
        update={"mounts": ["sdb1 → /mnt"], "holders": ["sdb2 → md0"], "read_only": True}
    )
    assert decide(facts).codes == [RefusalCode.MOUNTED, RefusalCode.HOLDERS, RefusalCode.READ_ONLY]


def test_details_reach_the_message() -> None:
    verdict = decide(IDLE.model_copy(update={"mounts": ["sdb1 → /srv/data"]}))
    assert "/srv/data" in verdict.reasons[0].text("fr")
    assert "/srv/data" in verdict.reason_texts("en")[0]


def test_a_disk_other_than_the_boot_medium_stays_eligible() -> None:
    boot = BootMedium(live=True, boot_disks=frozenset({"sdz"}))
    assert decide(IDLE.model_copy(update={"boot": boot})).eligible


def test_unclear_boot_medium_refuses_every_disk() -> None:
    boot = BootMedium(live=True, unclear=LocalizedText(fr="désaccord", en="disagreement"))
    for name in ("sda", "sdb", "nvme0n1", "loop3"):
        verdict = decide(DiskFacts(name=name, size_bytes=1, boot=boot))
        assert verdict.codes == [RefusalCode.BOOT_MEDIUM_UNCLEAR]
        assert "disagreement" in verdict.reason_texts("en")[0]
        assert "désaccord" in verdict.reason_texts("fr")[0]
        # The trainee's part first, in plain French (a stick pulled mid-session).
        assert "Remettez-la et redémarrez le banc" in verdict.reason_texts("fr")[0]


def test_a_file_is_a_simulated_disk_not_judged_as_boot_medium() -> None:
    boot = BootMedium(live=True, unclear=LocalizedText(fr="x", en="y"))
    assert decide(DiskFacts(name="disk.img", is_file=True, size_bytes=4096, boot=boot)).eligible
    assert decide(DiskFacts(name="empty.img", is_file=True)).codes == [RefusalCode.ZERO_SIZE]


def test_not_a_disk_says_what_it_is_instead() -> None:
    facts = DiskFacts(
        name="sda1",
        is_whole_disk=False,
        kind_detail=LocalizedText(fr="partition de sda", en="partition of sda"),
        mounts=["sda1 → /"],
    )
    verdict = decide(facts)
    assert verdict.codes == [RefusalCode.NOT_A_DISK]
    assert "partition of sda" in verdict.reason_texts("en")[0]
    assert "partition de sda" in verdict.reason_texts("fr")[0]


def test_contract_codes_exist() -> None:
    # docs/disks.md lists these codes for users; the wipe engine and the TUI rely on them.
    wanted = {
        "boot_medium",
        "mounted",
        "holders",
        "read_only",
        "zero_size",
        "system_disk",
        "backs_root",
        "sanitize_in_progress",
        "not_a_disk",
    }
    assert wanted <= {code.value for code in RefusalCode}
