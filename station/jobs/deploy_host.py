"""Which machine a deploy is for, as the records name it.

When Station runs on the machine whose disk it deploys, the firmware names that machine:
SMBIOS system serial and UUID, vendor and model (dmidecode, parsed by devices.hostinfo),
plus the operator's asset tag when one is given. A machine without SMBIOS (a VM, a
container, a board with placeholders such as "To be filled by O.E.M.") falls back to the
asset tag alone, and the record says so (`identified_by`), with the reason kept for the
report: a deploy never claims a hardware identity it did not read.
"""

from __future__ import annotations

from dataclasses import dataclass

from station.devices.hostinfo import host_from_dmi, parse_dmidecode
from station.devices.runner import Runner
from station.domain.record import HostRef
from station.errors import CommandError

DMIDECODE = ("dmidecode", "-t", "system", "-t", "chassis")


@dataclass(frozen=True)
class HostIdentity:
    host: HostRef
    note: str | None = None  # why SMBIOS does not name the host, when it does not


def from_asset_tag(asset_tag: str | None, note: str | None = None) -> HostIdentity:
    """The fallback: the operator's asset tag names the host, or nothing does."""
    if asset_tag:
        return HostIdentity(HostRef(asset_tag=asset_tag, identified_by="asset_tag"), note)
    return HostIdentity(HostRef(identified_by="none"), note)


def from_smbios(smbios: HostRef, asset_tag: str | None) -> HostIdentity:
    """SMBIOS's view of this machine (already cleaned of placeholders) + the asset tag."""
    tag = asset_tag or smbios.asset_tag
    if smbios.serial or smbios.uuid:
        return HostIdentity(smbios.model_copy(update={"asset_tag": tag, "identified_by": "smbios"}))
    # Vendor and model are kept as context: they do not tell two machines apart.
    fallback = from_asset_tag(tag, "SMBIOS gives no system serial or UUID (placeholders)")
    host = smbios.model_copy(
        update={"asset_tag": tag, "identified_by": fallback.host.identified_by}
    )
    return HostIdentity(host, fallback.note)


def this_machine(asset_tag: str | None, runner: Runner) -> HostIdentity:
    """The machine Station runs on; never raises: no SMBIOS is a recorded fallback."""
    try:
        done = runner.run(list(DMIDECODE), timeout=30)
    except CommandError as exc:
        return from_asset_tag(asset_tag, f"no SMBIOS data: {exc.one_line()}")
    if done.timed_out or done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        why = lines[-1] if lines else "no output"
        status = "timed out" if done.timed_out else f"exited {done.returncode}"
        return from_asset_tag(asset_tag, f"no SMBIOS data: dmidecode {status}: {why}")
    records = parse_dmidecode(done.stdout)
    if not any(record.type == 1 for record in records):
        return from_asset_tag(asset_tag, "no SMBIOS data: dmidecode found no system record")
    return from_smbios(host_from_dmi(records).host, asset_tag)
