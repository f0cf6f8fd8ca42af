"""Which machines the disks of `station deploy` go into, from the command line.

One disk and no --bench-dock: the disk is this machine's (Station booted on it), so its
SMBIOS identity names the host, plus the asset tag. Several disks (or --bench-dock): they
go into other machines; this machine's firmware says nothing about them, so each disk's
machine is named by its own --asset-tag, given in the order of the devices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from station.cli.lang import tr
from station.devices.runner import Runner, SubprocessRunner
from station.domain.record import HostRef
from station.errors import UsageError
from station.jobs.deploy_host import HostIdentity, from_asset_tag, this_machine


@dataclass
class DeployHosts:
    this_machine: HostIdentity | None = None  # the disk is in the machine Station runs on
    per_disk: dict[str, HostRef] = field(default_factory=dict)

    def host(self, device: str) -> HostRef | None:
        if device in self.per_disk:
            return self.per_disk[device]
        return self.this_machine.host if self.this_machine else None

    def names_machine(self, device: str) -> bool:
        host = self.host(device)
        return host is not None and bool(host.uuid or host.serial or host.asset_tag)

    def describe(self) -> list[str]:
        if self.this_machine is not None:
            described = _describe(self.this_machine.host)
            lines = [tr(f"host: this machine, {described}", f"machine : celle-ci, {described}")]
            if self.this_machine.note:
                lines.append(f"  {self.this_machine.note}")
            return lines
        if not self.per_disk:
            return [
                tr(
                    "host: not named (disks for other machines, no --asset-tag)",
                    "machine : non nommée (disques pour d'autres machines, sans --asset-tag)",
                )
            ]
        return [
            tr(f"host of {d}: {_describe(h)}", f"machine de {d} : {_describe(h)}")
            for d, h in self.per_disk.items()
        ]


def _describe(host: HostRef) -> str:
    parts = [" ".join(p for p in (host.manufacturer, host.product) if p)]
    parts += [
        tr(f"serial {host.serial}", f"n° de série {host.serial}") if host.serial else "",
        f"UUID {host.uuid}" if host.uuid else "",
    ]
    parts.append(
        tr(f"asset tag {host.asset_tag}", f"étiquette {host.asset_tag}") if host.asset_tag else ""
    )
    named = ", ".join(p for p in parts if p) or tr("unknown machine", "machine inconnue")
    how = {
        "smbios": "SMBIOS",
        "asset_tag": tr("asset tag only", "étiquette seule"),
        "none": tr("not identified", "non identifiée"),
    }
    return tr("{named} (named by: {how})", "{named} (nommée par : {how})").format(
        named=named, how=how.get(host.identified_by or "none")
    )


def deploy_hosts(
    devices: list[str], asset_tags: list[str], *, dock: bool, runner: Runner | None = None
) -> DeployHosts:
    if len(devices) > 1 and len(asset_tags) not in (0, len(devices)):
        raise UsageError(
            "several devices go into several machines: give one --asset-tag per device, "
            "in the same order",
            french="plusieurs disques vont dans plusieurs machines : donnez un --asset-tag "
            "par disque, dans le même ordre",
        )
    if len(devices) == 1 and len(asset_tags) > 1:
        raise UsageError(
            "one device, one machine: give --asset-tag once",
            french="un disque, une machine : donnez --asset-tag une seule fois",
        )
    if len(devices) == 1 and not dock:
        tag = asset_tags[0] if asset_tags else None
        return DeployHosts(this_machine=this_machine(tag, runner or SubprocessRunner()))
    return DeployHosts(
        per_disk={
            device: from_asset_tag(tag).host
            for device, tag in zip(devices, asset_tags, strict=True)
        }
        if asset_tags
        else {}
    )
