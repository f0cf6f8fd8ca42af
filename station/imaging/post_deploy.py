"""After the bytes are on the disk: partition nodes, backup GPT, growing, Linux identity.

Every step runs through the command runner, so its argv, exit code and output are kept
as evidence; a step that failed is reported as a problem, never as done. The kernels of
some benches do not parse partition tables by themselves: `partx` tells them.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.domain.image_profile import ImageProfile
from station.errors import CommandError
from station.imaging.kernel_table import refresh_kernel_table

TIMEOUT = 600.0


@dataclass
class Partition:
    node: str
    number: int
    start: int
    size: int
    fstype: str | None = None


@dataclass
class PostDeployContext:
    device: str
    profile: ImageProfile
    asset_tag: str | None
    runner: Runner
    evidence: list[CommandEvidence] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def run(self, *argv: str) -> CommandEvidence:
        result = self.runner.run(argv, timeout=TIMEOUT)
        self.evidence.append(result)
        return result

    def must(self, *argv: str) -> CommandEvidence:
        result = self.run(*argv)
        if not result.ok:
            raise CommandError(result.describe())
        return result


def hostname_for(asset_tag: str) -> str:
    """A valid hostname (RFC 1123 label) from an asset tag such as 'EPN 2026/0042'."""
    name = re.sub(r"[^a-z0-9-]+", "-", asset_tag.lower()).strip("-")[:63].strip("-")
    if not name:
        raise CommandError(f"asset tag {asset_tag!r} gives no usable hostname")
    return name


def refresh_partitions(ctx: PostDeployContext) -> None:
    evidence = refresh_kernel_table(ctx.runner, ctx.device)
    ctx.evidence += evidence
    if not evidence[-1].ok:
        raise CommandError(evidence[-1].describe())


def list_partitions(ctx: PostDeployContext) -> tuple[str | None, list[Partition]]:
    """(label type 'gpt'/'dos' or None, partitions) of the device, from `sfdisk --json`."""
    answer = ctx.run("sfdisk", "--json", ctx.device)
    if not answer.ok:
        return None, []
    table = json.loads(answer.stdout)["partitiontable"]
    parts = []
    for entry in table.get("partitions", []):
        node = entry["node"]
        number = int(re.findall(r"(\d+)$", node)[0])
        parts.append(Partition(node, number, int(entry["start"]), int(entry["size"])))
    for part in parts:
        probe = ctx.run("blkid", "-o", "value", "-s", "TYPE", part.node)
        part.fstype = probe.stdout.strip() or None if probe.ok else None
    return table.get("label"), parts


def grow_last(ctx: PostDeployContext, parts: list[Partition]) -> None:
    last = max(parts, key=lambda p: p.start)
    grown = ctx.run("growpart", ctx.device, str(last.number))
    # growpart exits 1 with "NOCHANGE" when the partition already fills the disk.
    if grown.returncode == 1 and "NOCHANGE" in grown.stdout:
        ctx.steps.append(f"partition {last.number} already fills the disk")
        return
    if not grown.ok:
        raise CommandError(grown.describe())
    refresh_partitions(ctx)
    if last.fstype == "ext4":
        check = ctx.run("e2fsck", "-f", "-p", last.node)
        if check.returncode not in (0, 1):  # 1: errors corrected
            raise CommandError(check.describe())
        ctx.must("resize2fs", last.node)
    elif last.fstype == "ntfs":
        ctx.must("ntfsresize", "--force", "--force", last.node)
    elif last.fstype == "swap":
        _remake_swap(ctx, last)
    else:
        ctx.steps.append(f"partition {last.number} grown; filesystem {last.fstype} left as is")
        return
    ctx.steps.append(f"grew partition {last.number} and its {last.fstype} filesystem")


def _remake_swap(ctx: PostDeployContext, part: Partition) -> None:
    """A grown swap partition keeps its old size until mkswap: made again, same UUID/LABEL
    (the ones /etc/fstab names)."""
    probe = ctx.must("blkid", "-p", "-o", "export", part.node)
    values = dict(line.split("=", 1) for line in probe.stdout.splitlines() if "=" in line)
    argv = ["mkswap"]
    if values.get("UUID"):
        argv += ["-U", values["UUID"]]
    if values.get("LABEL"):
        argv += ["-L", values["LABEL"]]
    ctx.must(*argv, part.node)


def linux_identity(ctx: PostDeployContext, parts: list[Partition]) -> None:
    post = ctx.profile.post_deploy
    if post.linux_root_partition is not None:
        candidates = [p for p in parts if p.number == post.linux_root_partition]
    else:
        candidates = [p for p in parts if p.fstype == "ext4"]
    with tempfile.TemporaryDirectory(prefix="station-root-") as mount_dir:
        for part in candidates:
            ctx.must("mount", "-t", part.fstype or "auto", part.node, mount_dir)
            try:
                etc = Path(mount_dir) / "etc"
                if not etc.is_dir():
                    continue
                if post.reset_machine_id:
                    # Empty, not deleted: systemd then makes a new id on first boot.
                    (etc / "machine-id").write_text("")
                    dbus = Path(mount_dir) / "var/lib/dbus/machine-id"
                    if dbus.is_file() and not dbus.is_symlink():
                        dbus.unlink()
                    ctx.steps.append(f"emptied /etc/machine-id on partition {part.number}")
                if post.hostname_from_asset_tag:
                    if not ctx.asset_tag:
                        raise CommandError(
                            "the profile sets the hostname from the asset tag, "
                            "but no asset tag was given (--asset-tag)"
                        )
                    name = hostname_for(ctx.asset_tag)
                    (etc / "hostname").write_text(name + "\n")
                    ctx.steps.append(f"hostname set to {name} on partition {part.number}")
                return
            finally:
                ctx.must("umount", mount_dir)
    raise CommandError("no partition with /etc found for the Linux identity steps")


def run_post_deploy(ctx: PostDeployContext) -> tuple[list[str], list[CommandEvidence], list[str]]:
    """(steps done, evidence, problems). Each step stops at its first failure."""
    post = ctx.profile.post_deploy
    try:
        refresh_partitions(ctx)
        label, parts = list_partitions(ctx)
        if label == "gpt" and post.move_backup_gpt:
            ctx.must("sgdisk", "-e", ctx.device)
            refresh_partitions(ctx)
            ctx.steps.append("moved the backup GPT to the end of the disk")
        if post.grow_last_partition and parts:
            grow_last(ctx, parts)
            label, parts = list_partitions(ctx)
        linux = ctx.profile.os.family == "linux"
        if linux and (post.reset_machine_id or post.hostname_from_asset_tag):
            linux_identity(ctx, parts)
    except CommandError as exc:
        ctx.problems.append(exc.one_line())
    return ctx.steps, ctx.evidence, ctx.problems
