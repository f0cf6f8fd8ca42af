"""The licence step on a real NTFS partition: a key from the bench's pool is written into
the deployed answer file (checked with ntfs-3g); a firmware OEM key means nothing is
injected; a master Windows would not apply a key on (no registry, not generalized, another
edition) takes no key from the pool. The registry hives are made with hivexsh."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.devices.runner import SubprocessRunner
from station.domain.image_profile import ImageProfile, LicencePolicy
from station.errors import ImageError
from station.imaging.deploy_report import DeployReport
from station.imaging.keystore import KeyStore
from station.imaging.licence import key_digest
from station.imaging.profiles import load_image_profile
from station.imaging.raw_create import create_raw_image
from station.imaging.raw_deploy import load_block_map
from station.imaging.windows_master import read_disk_windows
from station.jobs.deploy import DeployRequest, run_deploy
from station.journal.keys import generate_key
from station.journal.store import Journal
from tests.block import imaging_support
from tests.block.imaging_support import (
    ANSWER_TEMPLATE,
    MIB,
    LoopMaker,
    all_time,
    build_windows_master,
    limit_tmpfs,
    msdm_table,
    partition_sectors,
    read_ntfs_file,
    tagged_hosts,
    tools_reason,
    write_profile,
)
from tests.block.ocs_support import random_fill
from tests.block.windows_hive import INSTALLED, hive_reason
from tests.conftest import backing_file


def _reason() -> str | None:
    if shutil.which("mkntfs") is None or shutil.which("ntfs-3g") is None:
        return "ntfs-3g is not installed (Debian package ntfs-3g)"
    if not Path("/dev/fuse").exists():
        return "ntfs-3g needs /dev/fuse"
    return hive_reason() or tools_reason()


pytestmark = [pytest.mark.block, pytest.mark.skipif(bool(_reason()), reason=str(_reason()))]
loops = imaging_support.loops
tiny_tmpfs = imaging_support.tiny_tmpfs
MASTER, TARGET = 64 * MIB, 128 * MIB
KEYS = ["BBBBB-11111-22222-33333-44444", "CCCCC-11111-22222-33333-44444"]
ANSWER = "Windows/Panther/unattend.xml"


def windows_profile(tmp_path: Path, device: str, **licence: object) -> Path:
    made = create_raw_image(device, tmp_path / "image")
    return write_profile(
        tmp_path,
        made.folder,
        made.manifest,
        name="windows-edu",
        os={"family": "windows", "name": "Windows", "version": "10"},
        licence={"policy": "key_pool", "product": "win10-pro", "pool": "refurb", **licence},
        post_deploy={"grow_last_partition": True},
    )


def keystore_with_keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "keys.sqlite3")
    store.add_reserved([(key_digest(k), k) for k in KEYS], product="win10-pro", pool="refurb")
    return store


@dataclass
class Bench:
    """A deployed-to-be Windows image, a bench key store, a firmware ACPI folder, a target."""

    profile: ImageProfile
    folder: Path
    store: KeyStore
    acpi: Path
    target: str
    master: str

    def deploy(
        self, asset_tag: str, journal: Journal | None = None, *, dock: bool = False
    ) -> DeployReport:
        request = DeployRequest(
            [self.target], self.profile, profile_dir=self.folder, asset_tag=asset_tag,
            keystore=self.store, journal=journal, acpi_tables=None if dock else self.acpi,
        )  # fmt: skip
        return run_deploy(request)[0]


def bench(
    loops: LoopMaker,
    tmp_path: Path,
    *,
    with_windows: bool = True,
    msdm_key: str | None = None,
    **registry: str,
) -> Bench:
    master = loops(MASTER, name="master")
    build_windows_master(master, with_windows=with_windows, **registry)
    profile, folder = load_image_profile(str(windows_profile(tmp_path, master)))
    acpi = tmp_path / "acpi"
    acpi.mkdir()
    if msdm_key is not None:
        (acpi / "MSDM").write_bytes(msdm_table(msdm_key))
    target = loops(TARGET, name="target")
    return Bench(profile, folder, keystore_with_keys(tmp_path), acpi, target, master)


def test_pool_key_goes_into_the_answer_file(loops: LoopMaker, tmp_path: Path) -> None:
    setup = bench(loops, tmp_path)
    journal = Journal(tmp_path / "journal.sqlite3", generate_key("bench-1"))

    report = setup.deploy("PC-0042", journal)

    assert report.outcome == "deployed", [
        (c["argv"], c.get("returncode"), c.get("stderr")) for c in report.commands[-6:]
    ]
    assert report.licence is not None and report.licence["status"] == "key_written"
    answer = read_ntfs_file(f"{setup.target}p2", ANSWER)
    used = [k for k in KEYS if k in answer]
    assert len(used) == 1 and "AAAAA-AAAAA" not in answer
    # Applied where a generalized master runs: the specialize pass (one), SetupComplete.cmd.
    assert answer.count('pass="specialize"') == 1
    assert f"<ProductKey>{used[0]}</ProductKey>" in answer
    script = read_ntfs_file(f"{setup.target}p2", "Windows/Setup/Scripts/SetupComplete.cmd")
    assert f"slmgr.vbs /ipk {used[0]}\r\n" in script
    assert report.licence["master"]["edition_id"] == "Professional"
    assert report.licence["key_sha256"] == key_digest(used[0])
    assert partition_sectors(setup.target)[1] > (MASTER // 512)  # NTFS partition grown
    # The full key is gone from the bench; the signed record carries its digest only.
    [held] = [k for k in setup.store.listing() if k.status == "assigned"]
    assert held.key_sha256 == key_digest(used[0]) and held.device_id == "PC-0042"
    records = journal.records_between(*all_time())
    assert [r.kind for r in records] == ["licence_assignment", "image_deploy"]
    assert records[0].body()["licence_sha256"] == key_digest(used[0])
    assert records[0].body()["applied_by"] == report.licence["applied_by"]
    assert any("SetupComplete.cmd" in way for way in report.licence["applied_by"])
    assert used[0] not in str(journal.export_chain())
    # The same machine cannot take a second key.
    again = setup.deploy("PC-0042")
    assert again.outcome == "failed" and "already has key" in again.reasons[-1]


def test_firmware_oem_key_means_nothing_is_injected(loops: LoopMaker, tmp_path: Path) -> None:
    setup = bench(loops, tmp_path, msdm_key="DDDDD-11111-22222-33333-44444")
    report = setup.deploy("PC-7")
    assert report.outcome == "deployed", report.reasons
    assert report.licence == {
        "policy": "key_pool",
        "status": "firmware_key_present",
        "msdm_table_sha256": report.licence["msdm_table_sha256"],  # type: ignore[index]
        "key_sha256": key_digest("DDDDD-11111-22222-33333-44444"),
        "injected": False,
        "applied_by": ["firmware ACPI MSDM table (Windows reads it itself)"],
    }
    assert read_ntfs_file(f"{setup.target}p2", ANSWER) == ANSWER_TEMPLATE
    assert {k.status for k in setup.store.listing()} == {"reserved"}


def test_in_a_dock_the_bench_firmware_key_is_not_taken_for_the_target(
    loops: LoopMaker, tmp_path: Path
) -> None:
    """The bench itself has an OEM key; the disk goes into another machine: that key says
    nothing about it, so a key-pool image takes a pool key and no OEM key is recorded."""
    setup = bench(loops, tmp_path, msdm_key="DDDDD-11111-22222-33333-44444")
    journal = Journal(tmp_path / "journal.sqlite3", generate_key("bench-1"))
    report = setup.deploy("PC-9", journal, dock=True)
    assert report.outcome == "deployed", report.reasons
    assert report.licence is not None and report.licence["status"] == "key_written"
    [record] = [r for r in journal.records_between(*all_time()) if r.kind != "image_deploy"]
    assert record.body()["source"] == "key_pool"
    assert key_digest("DDDDD-11111-22222-33333-44444") not in str(journal.export_chain())


def test_in_a_dock_an_oem_key_image_is_left_to_the_target_firmware(
    loops: LoopMaker, tmp_path: Path
) -> None:
    setup = bench(loops, tmp_path, msdm_key="DDDDD-11111-22222-33333-44444")
    setup.profile = setup.profile.model_copy(
        update={
            "licence": setup.profile.licence.model_copy(
                update={"policy": LicencePolicy.FIRMWARE_OEM}
            )
        }
    )
    report = setup.deploy("PC-10", dock=True)
    assert report.outcome == "deployed", report.reasons
    assert report.licence == {
        "policy": "firmware_oem",
        "status": "firmware_not_visible",
        "injected": False,
    }
    assert read_ntfs_file(f"{setup.target}p2", ANSWER) == ANSWER_TEMPLATE
    assert {k.status for k in setup.store.listing()} == {"reserved"}


def test_master_without_windows_takes_no_key(loops: LoopMaker, tmp_path: Path) -> None:
    setup = bench(loops, tmp_path, with_windows=False)
    report = setup.deploy("PC-8")
    assert report.outcome == "failed" and "no Windows registry" in report.reasons[-1]
    assert report.licence is not None and report.licence["status"] == "refused_no_key_taken"
    assert {k.status for k in setup.store.listing()} == {"reserved"}


def test_not_generalized_master_is_refused_before_a_key_is_spent(
    loops: LoopMaker, tmp_path: Path
) -> None:
    setup = bench(loops, tmp_path, state=INSTALLED)
    journal = Journal(tmp_path / "journal.sqlite3", generate_key("bench-1"))
    report = setup.deploy("PC-11", journal)
    assert report.outcome == "failed" and "non généralisée" in report.reasons[-1]
    assert report.licence is not None and report.licence["status"] == "refused_no_key_taken"
    assert {k.status for k in setup.store.listing()} == {"reserved"}
    assert read_ntfs_file(f"{setup.target}p2", ANSWER) == ANSWER_TEMPLATE
    kinds = [r.kind for r in journal.records_between(*all_time())]
    assert "licence_assignment" not in kinds
    # Recorded in the profile (as `station image create` prints it): refused before writing.
    _, facts, _ = read_disk_windows(SubprocessRunner(), setup.master)
    assert facts is not None and facts.image_state == INSTALLED and not facts.generalized
    setup.profile = setup.profile.model_copy(update={"windows": facts})
    random_fill(setup.target)
    before = backing_file(setup.target).read_bytes()
    with pytest.raises(ImageError, match=r"non généralisée.*nothing was written"):
        setup.deploy("PC-12")
    assert backing_file(setup.target).read_bytes() == before
    assert {k.status for k in setup.store.listing()} == {"reserved"}


def test_key_of_another_edition_is_refused(loops: LoopMaker, tmp_path: Path) -> None:
    setup = bench(loops, tmp_path, edition="Core")
    setup.profile = setup.profile.model_copy(
        update={"licence": setup.profile.licence.model_copy(update={"edition": "Professional"})}
    )
    report = setup.deploy("PC-13")
    assert report.outcome == "failed"
    assert "clé Pro pour une image Famille" in report.reasons[-1], report.reasons
    assert {k.status for k in setup.store.listing()} == {"reserved"}


def test_key_of_a_channel_the_master_cannot_take_is_refused(
    loops: LoopMaker, tmp_path: Path
) -> None:
    """A Windows 7 master installed from volume media (Volume:MAK) cannot take the pool's
    retail keys: the deployed disk's registry says so and no key leaves the pool."""
    setup = bench(loops, tmp_path, key_type="Volume:MAK", version="6.1")
    setup.profile = setup.profile.model_copy(
        update={"licence": setup.profile.licence.model_copy(update={"channel": "retail"})}
    )
    report = setup.deploy("PC-14")
    assert report.outcome == "failed"
    assert "ne change pas de canal" in report.reasons[-1], report.reasons
    assert report.licence is not None and report.licence["status"] == "refused_no_key_taken"
    assert report.licence["master"]["key_channel"] == "Volume:MAK"
    assert {k.status for k in setup.store.listing()} == {"reserved"}


def test_batch_with_one_failing_disk_takes_keys_only_for_the_deployed(
    tiny_tmpfs: Path, loops: LoopMaker, tmp_path: Path
) -> None:
    """Three machines' disks in one batch, one fails mid-write: it takes no key (the key
    step runs only after a verified write), each other machine gets its own key."""
    setup = bench(loops, tmp_path)
    setup.store.add_reserved(
        [(key_digest(KEY_3), KEY_3)], product="win10-pro", pool="refurb"
    )  # one key per machine of the batch
    mapped = load_block_map(tmp_path / "image").mapped_bytes
    limit_tmpfs(tiny_tmpfs, (mapped // 2) // MIB * MIB)
    bad = loops(TARGET, name="tinyfs/failing")  # its backing file sits on the tiny tmpfs
    targets = [setup.target, bad, loops(TARGET, name="target-c")]
    hosts = tagged_hosts(targets)
    journal = Journal(tmp_path / "journal.sqlite3", generate_key("bench-1"))
    request = DeployRequest(
        targets, setup.profile, profile_dir=setup.folder, hosts=hosts, keystore=setup.store,
        journal=journal, acpi_tables=setup.acpi,
    )  # fmt: skip

    reports = {r.target: r for r in run_deploy(request)}

    assert reports[bad].outcome == "failed" and reports[bad].licence is None
    assert reports[bad].marked_not_deployed
    written = []
    for target in (targets[0], targets[2]):
        report = reports[target]
        assert report.outcome == "deployed" and report.verified, report.reasons
        assert report.licence is not None and report.licence["status"] == "key_written"
        answer = read_ntfs_file(f"{target}p2", ANSWER)
        [key] = [k for k in [*KEYS, KEY_3] if k in answer]
        written.append(key)
    assert len(set(written)) == 2
    held = {k.key_sha256: k for k in setup.store.listing()}
    assigned = {k.device_id for k in held.values() if k.status == "assigned"}
    assert assigned == {"PC-0", "PC-2"}
    assert [k.status for k in held.values()].count("reserved") == 1
    kinds = [r.kind for r in journal.records_between(*all_time())]
    assert kinds.count("licence_assignment") == 2 and kinds.count("image_deploy") == 3


KEY_3 = "EEEEE-11111-22222-33333-44444"
