"""Which machine a deploy's records name: SMBIOS (recorded dmidecode outputs of real
machines, tests/fixtures/host/) plus the asset tag, and the fallback without SMBIOS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.cli.deploy_hosts import deploy_hosts
from station.cli.lang import set_cli_language
from station.devices.runner import CommandEvidence
from station.domain.image_profile import ImageProfile
from station.domain.record import HostRef, parse_body
from station.errors import CommandError, UsageError
from station.imaging.deploy_report import DeployReport
from station.jobs.deploy import DeployRequest, deploy_record, host_of
from station.jobs.deploy_host import DMIDECODE, this_machine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "host" / "dmidecode"
LATITUDE = "notebook-dell-latitude-5490.txt"
SERIAL, UUID = "5CG8301XYZ", "4c4c4544-0042-3510-8051-b4c04f4d4232"


@dataclass
class Dmidecode:
    """Answers `dmidecode` as a machine would: output, exit status, or not installed."""

    stdout: str = ""
    returncode: int = 0
    stderr: str = ""
    missing: bool = False
    calls: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, argv: Sequence[str], *, timeout: float) -> CommandEvidence:
        self.calls.append(tuple(argv))
        if self.missing:
            raise CommandError("dmidecode is not installed (not found on PATH)")
        now = datetime.now(UTC)
        return CommandEvidence(tuple(argv), self.returncode, self.stdout, self.stderr, now, now)


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text()


def with_identity(text: str) -> str:
    """The uploader masked serial and UUID as '--' (a placeholder, so no identity): put
    stand-in values in the System Information block, the way an unmasked machine has them."""
    head, sep, rest = text.partition("System Information\n")
    block, gap, tail = rest.partition("\n\n")
    block = block.replace("Serial Number: --", f"Serial Number: {SERIAL}")
    block = block.replace("UUID: --", f"UUID: {UUID}")
    return head + sep + block + gap + tail


def test_smbios_serial_and_uuid_name_the_host_with_the_asset_tag() -> None:
    runner = Dmidecode(with_identity(recorded(LATITUDE)))
    identity = this_machine("EPN-0042", runner)
    assert runner.calls == [DMIDECODE]
    assert identity.host == HostRef(
        manufacturer="Dell Inc.",
        product="Latitude 5490",
        serial=SERIAL,
        uuid=UUID,
        asset_tag="EPN-0042",
        identified_by="smbios",
    )
    assert identity.note is None


def test_masked_serials_fall_back_to_the_asset_tag_and_say_why() -> None:
    identity = this_machine("EPN-0042", Dmidecode(recorded("notebook-lenovo-thinkpad-t480.txt")))
    host = identity.host
    assert (host.serial, host.uuid, host.asset_tag) == (None, None, "EPN-0042")
    assert host.identified_by == "asset_tag"
    assert host.product == "ThinkPad T480 (20L50000IX)"  # kept as context
    assert identity.note == "SMBIOS gives no system serial or UUID (placeholders)"
    unnamed = this_machine(None, Dmidecode(recorded(LATITUDE)))
    assert unnamed.host.identified_by == "none" and unnamed.host.asset_tag is None


@pytest.mark.parametrize(
    ("runner", "note"),
    [
        (
            Dmidecode(
                "# dmidecode 3.4\nScanning /dev/mem for entry point.\n",
                1,
                "/dev/mem: No such file or directory\n",
            ),
            "no SMBIOS data: dmidecode exited 1: /dev/mem: No such file or directory",
        ),
        (
            Dmidecode("# dmidecode 3.4\n# No SMBIOS nor DMI entry point found, sorry.\n"),
            "no SMBIOS data: dmidecode found no system record",
        ),
        (Dmidecode(missing=True), "no SMBIOS data: dmidecode is not installed"),
    ],
    ids=["no-dev-mem", "no-entry-point", "not-installed"],
)
def test_no_smbios_is_a_recorded_fallback(runner: Dmidecode, note: str) -> None:
    identity = this_machine("PC-7", runner)
    assert identity.host == HostRef(asset_tag="PC-7", identified_by="asset_tag")
    assert identity.note is not None and identity.note.startswith(note)


def profile() -> ImageProfile:
    return ImageProfile.model_validate(
        {
            "schema_version": 1,
            "name": "demo",
            "title": {"fr": "Démo", "en": "Demo"},
            "os": {"family": "linux", "name": "Debian", "version": "12"},
            "format": "station-raw-zstd",
            "location": "images/demo",
            "manifest": {"disk.img.zst": "0" * 64, "disk.bmap": "1" * 64},
        }
    )


def report(target: str) -> DeployReport:
    return DeployReport(
        target=target, image_name="demo", image_sha256="2" * 64, image_format="station-raw-zstd",
        image_size=1, mapped_bytes=1, started_at=datetime.now(UTC), outcome="deployed",
    )  # fmt: skip


def test_the_signed_deploy_record_names_the_host_and_how() -> None:
    identity = this_machine("EPN-0042", Dmidecode(with_identity(recorded(LATITUDE))))
    request = DeployRequest(["/dev/sdb"], profile(), asset_tag="EPN-0042", host=identity.host)
    body = deploy_record(request, report("/dev/sdb")).model_dump(mode="json")
    assert body["host"]["serial"] == SERIAL and body["host"]["identified_by"] == "smbios"
    assert parse_body(body).model_dump(mode="json") == body  # a valid record body
    # Without any host, the asset tag alone names it, and the record says so.
    bare = DeployRequest(["/dev/sdb"], profile(), asset_tag="PC-1")
    assert host_of(bare, "/dev/sdb") == HostRef(asset_tag="PC-1", identified_by="asset_tag")


def test_batch_disks_go_to_machines_named_by_their_own_asset_tags() -> None:
    runner = Dmidecode(with_identity(recorded(LATITUDE)))
    hosts = deploy_hosts(["/dev/sdb", "/dev/sdc"], ["PC-1", "PC-2"], dock=False, runner=runner)
    assert runner.calls == []  # this machine's firmware says nothing about those machines
    assert hosts.this_machine is None
    assert {d: h.asset_tag for d, h in hosts.per_disk.items()} == {
        "/dev/sdb": "PC-1",
        "/dev/sdc": "PC-2",
    }
    request = DeployRequest(["/dev/sdb", "/dev/sdc"], profile(), hosts=hosts.per_disk)
    assert deploy_record(request, report("/dev/sdc")).host == HostRef(
        asset_tag="PC-2", identified_by="asset_tag"
    )
    with pytest.raises(UsageError, match="one --asset-tag per device"):
        deploy_hosts(["/dev/sdb", "/dev/sdc"], ["PC-1"], dock=False, runner=runner)
    docked = deploy_hosts(["/dev/sdb"], ["PC-3"], dock=True, runner=runner)
    assert docked.this_machine is None and docked.names_machine("/dev/sdb")
    alone = deploy_hosts(["/dev/sdb"], [], dock=False, runner=runner)
    assert alone.this_machine is not None and alone.names_machine("/dev/sdb")
    assert alone.describe()[0].endswith("(named by: SMBIOS)")
    # On a French bench (the classroom laptop's tty1, tty2), the same lines in French.
    set_cli_language("fr")
    try:
        assert alone.describe()[0].startswith("machine : celle-ci, ")
        assert alone.describe()[0].endswith("(nommée par : SMBIOS)")
        assert docked.describe() == [
            "machine de /dev/sdb : étiquette PC-3 (nommée par : étiquette seule)"
        ]
    finally:
        set_cli_language("en")
    assert not deploy_hosts(["/dev/sdb", "/dev/sdc"], [], dock=False).names_machine("/dev/sdb")
