"""The licence step of a deploy: firmware OEM key first, else a key from the bench's pool.

Runs only on a disk whose deploy and post-deploy succeeded. A key taken from the pool and
then not written is returned or quarantined as the profile says, never silently lost;
a key written is recorded as a signed LicenceAssignment (its sha256, never the key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from station.devices.runner import Runner
from station.domain.clock import utc_now
from station.domain.image_profile import ImageProfile, LicencePolicy
from station.domain.record import HostRef, LicenceAssignment
from station.errors import CommandError, ImageError
from station.imaging.deploy_report import DeployReport
from station.imaging.keystore import KeyStore
from station.imaging.licence import ACPI_TABLES, SETUP_COMPLETE, firmware_key, write_answer_key
from station.imaging.post_deploy import PostDeployContext, list_partitions
from station.imaging.windows_master import key_refusal, read_windows_master
from station.journal.store import Journal

FIRMWARE = "firmware ACPI MSDM table (Windows reads it itself)"


@dataclass
class LicenceContext:
    profile: ImageProfile
    host: HostRef
    operator: str
    runner: Runner
    journal: Journal | None = None
    keystore: KeyStore | None = None
    acpi_tables: Path | None = ACPI_TABLES  # None: the target machine's firmware is not here


def _record(
    ctx: LicenceContext,
    digest: str,
    source: Literal["key_pool", "firmware_oem"],
    pool: str,
    applied_by: list[str],
) -> LicenceAssignment:
    return LicenceAssignment(
        created_at=utc_now(),
        operator=ctx.operator,
        profile=ctx.profile.name,
        host=ctx.host,
        product=ctx.profile.licence.product or f"{ctx.profile.os.name} {ctx.profile.os.version}",
        pool=pool,
        licence_sha256=digest,
        source=source,
        applied_by=applied_by,
    )


def _sign(ctx: LicenceContext, record: LicenceAssignment) -> dict[str, Any] | None:
    if ctx.journal is None:
        return None
    return ctx.journal.append(record).envelope


def run_licence(ctx: LicenceContext, report: DeployReport) -> None:
    spec = ctx.profile.licence
    if spec.policy is LicencePolicy.NONE:
        return
    if ctx.acpi_tables is None:
        _target_firmware_not_visible(ctx, report)
        return
    found = firmware_key(ctx.acpi_tables)
    if found is not None:
        report.licence = {
            "policy": spec.policy.value,
            "status": "firmware_key_present",
            "msdm_table_sha256": found.table_sha256,
            "key_sha256": found.key_sha256,
            "injected": False,
            "applied_by": [FIRMWARE],
        }
        _sign(ctx, _record(ctx, found.key_sha256, "firmware_oem", "firmware-msdm", [FIRMWARE]))
        return
    if spec.policy is LicencePolicy.FIRMWARE_OEM:
        report.licence = {"policy": spec.policy.value, "status": "no_firmware_key"}
        report.fail("licence: the profile expects the firmware's OEM key; there is no MSDM table")
        return
    _from_pool(ctx, report)


def _target_firmware_not_visible(ctx: LicenceContext, report: DeployReport) -> None:
    """A disk deployed in a dock: the firmware Station could read is the bench's own, so
    its MSDM table says nothing about the machine the disk goes into. An OEM-key image is
    left to activate from that machine's firmware (nothing injected, nothing recorded as
    assigned); a key-pool image takes a key from the pool as its profile says."""
    spec = ctx.profile.licence
    if spec.policy is LicencePolicy.FIRMWARE_OEM:
        report.licence = {
            "policy": spec.policy.value,
            "status": "firmware_not_visible",
            "injected": False,
        }
        return
    _from_pool(ctx, report)


def _from_pool(ctx: LicenceContext, report: DeployReport) -> None:
    spec = ctx.profile.licence
    assert spec.product is not None and spec.pool is not None  # checked by the profile model
    device_id = ctx.host.uuid or ctx.host.serial or ctx.host.asset_tag
    if ctx.keystore is None or device_id is None:
        report.licence = {"policy": spec.policy.value, "status": "no_key"}
        report.fail("licence: a key-pool image needs the bench key store and an asset tag")
        return
    post = PostDeployContext(report.target, ctx.profile, None, ctx.runner)
    _, parts = list_partitions(post)
    nodes = [p.node for p in parts]
    # Before a key is taken: a key Windows would never apply is not spent.
    found_on, facts, evidence = read_windows_master(ctx.runner, nodes)
    report.commands += [e.to_record() for e in post.evidence + evidence]
    refusal = key_refusal(spec, facts)
    if refusal is not None:
        report.licence = {"policy": spec.policy.value, "status": "refused_no_key_taken"}
        if facts is not None:
            report.licence["master"] = facts.model_dump(mode="json")
        report.fail(f"licence: {refusal}")
        return
    try:
        digest, key = ctx.keystore.take(product=spec.product, pool=spec.pool, device_id=device_id)
    except ImageError as exc:
        report.licence = {"policy": spec.policy.value, "status": "no_key"}
        report.fail(f"licence: {exc.one_line()}")
        return
    applied_by = [f"{spec.answer_file}: specialize pass", f"{SETUP_COMPLETE}: slmgr /ipk"]
    try:
        node, written = write_answer_key(
            [found_on] if found_on else nodes, spec.answer_file, key, ctx.runner
        )
        report.commands += [e.to_record() for e in written]
        envelope = _sign(ctx, _record(ctx, digest, "key_pool", spec.pool, applied_by))
    except (CommandError, OSError) as exc:
        quarantine = spec.on_failure == "quarantine"
        ctx.keystore.failed(digest, quarantine=quarantine)
        report.licence = {
            "policy": spec.policy.value,
            "status": "key_quarantined" if quarantine else "key_returned",
            "key_sha256": digest,
        }
        message = exc.one_line() if isinstance(exc, CommandError) else str(exc)
        report.fail(f"licence: {message}")
        return
    ctx.keystore.assigned(digest, json.dumps(envelope) if envelope else "")
    report.licence = {
        "policy": spec.policy.value,
        "status": "key_written",
        "key_sha256": digest,
        "partition": node,
        "answer_file": spec.answer_file,
        "applied_by": applied_by,
        "master": facts.model_dump(mode="json") if facts else None,
        "signed": envelope is not None,
    }
