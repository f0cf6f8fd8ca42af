"""Read a Windows master's edition and state from its registry, without mounting it.

`ntfscat` (ntfs-3g) copies `Windows/System32/config/SOFTWARE` out of the NTFS partition,
read-only; `hivexget` (libhivex-bin) reads the values:

- `\\Microsoft\\Windows NT\\CurrentVersion`: ProductName ("Windows 10 Pro"), EditionID
  ("Professional"; "Core" is Famille/Home);
- `\\Microsoft\\Windows\\CurrentVersion\\Setup\\State`: ImageState, which sysprep sets to
  IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE on a generalized master (a normal install says
  IMAGE_STATE_COMPLETE). Only a generalized master runs the specialize pass, where the
  answer file's key is applied, and SetupComplete.cmd.
- `DigitalProductId4` (REG_BINARY, the DIGITALPID4 structure of 1272 bytes): its
  `szProductKeyType`, 64 UTF-16 characters at byte 1016, is the installed key's channel
  ("Retail", "OEM:DM", "OEM:NONSLP", "Volume:GVLK", "Volume:MAK"). Layout as documented at
  pidgenx.fandom.com/wiki/DigitalProductId4 and used by public key tools.
- `CurrentMajorVersionNumber`/`CurrentMinorVersionNumber` (Windows 10 and 11: 10.0), or
  `CurrentVersion` on older Windows ("6.1" is Windows 7).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.domain.image_profile import (
    CHANNEL_NAMES,
    EDITION_CHANNELS,
    LicenceSpec,
    WindowsMaster,
    edition_name,
)
from station.errors import ImageError
from station.imaging.clonezilla import ClonezillaImage
from station.imaging.partclone_feed import restore_partition

SOFTWARE = "Windows/System32/config/SOFTWARE"
CURRENT_VERSION = "\\Microsoft\\Windows NT\\CurrentVersion"
SETUP_STATE = "\\Microsoft\\Windows\\CurrentVersion\\Setup\\State"
TIMEOUT = 120.0
DIGITAL_PID4 = "DigitalProductId4"
KEY_TYPE_OFFSET = 1016  # DIGITALPID4.szProductKeyType
KEY_TYPE_BYTES = 128  # 64 UTF-16 code units


def hive_value(
    runner: Runner, hive: Path, key: str, name: str, evidence: list[CommandEvidence]
) -> str | None:
    """A string value, or None when the key or value is missing (hivexget exits 1)."""
    done = runner.run(["hivexget", str(hive), key, name], timeout=TIMEOUT)
    evidence.append(done)
    value = done.stdout.strip()
    return value if done.ok and value else None


def binary_in_listing(listing: str, name: str) -> bytes | None:
    """A REG_BINARY value out of `hivexget HIVE KEY`'s regedit-like listing, where it reads
    `"Name"=hex(3):f8,04,...` (regedit itself writes `hex:` and wraps lines with `\\`)."""
    text = listing.replace("\\\n", "")
    prefix = f'"{name}"='
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith(prefix):
            continue
        kind, _, data = line[len(prefix) :].partition(":")
        if kind not in ("hex", "hex(3)"):
            return None
        try:
            return bytes(int(byte, 16) for byte in data.replace(" ", "").split(",") if byte)
        except ValueError:
            return None
    return None


def key_type_of(digital_pid4: bytes) -> str | None:
    """szProductKeyType of a DIGITALPID4 blob ("Retail", "Volume:GVLK"...); None if absent."""
    field = digital_pid4[KEY_TYPE_OFFSET : KEY_TYPE_OFFSET + KEY_TYPE_BYTES]
    if len(field) < KEY_TYPE_BYTES:
        return None
    text = field.decode("utf-16-le", errors="replace").split("\x00", 1)[0].strip()
    return text if text and text.isprintable() and "\ufffd" not in text else None


def nt_version_of(runner: Runner, software: Path, evidence: list[CommandEvidence]) -> str | None:
    """10.0 from the DWORDs Windows 10 and 11 carry, else the older CurrentVersion string."""
    major = hive_value(runner, software, CURRENT_VERSION, "CurrentMajorVersionNumber", evidence)
    if major is not None and major.isdigit():
        minor = hive_value(runner, software, CURRENT_VERSION, "CurrentMinorVersionNumber", evidence)
        return f"{major}.{minor if minor is not None and minor.isdigit() else 0}"
    return hive_value(runner, software, CURRENT_VERSION, "CurrentVersion", evidence)


def installed_key_type(
    runner: Runner, software: Path, evidence: list[CommandEvidence]
) -> str | None:
    # hivexget prints a binary value raw; the key's listing gives it as hex text instead.
    done = runner.run(["hivexget", str(software), CURRENT_VERSION], timeout=TIMEOUT)
    evidence.append(done)
    blob = binary_in_listing(done.stdout, DIGITAL_PID4) if done.ok else None
    return key_type_of(blob) if blob else None


def facts_from_hive(
    runner: Runner, software: Path, evidence: list[CommandEvidence]
) -> WindowsMaster:
    return WindowsMaster(
        product_name=hive_value(runner, software, CURRENT_VERSION, "ProductName", evidence),
        edition_id=hive_value(runner, software, CURRENT_VERSION, "EditionID", evidence),
        image_state=hive_value(runner, software, SETUP_STATE, "ImageState", evidence),
        key_channel=installed_key_type(runner, software, evidence),
        nt_version=nt_version_of(runner, software, evidence),
    )


def read_windows_master(
    runner: Runner, nodes: list[str]
) -> tuple[str | None, WindowsMaster | None, list[CommandEvidence]]:
    """(partition, facts, evidence) of the first NTFS partition holding a SOFTWARE hive."""
    evidence: list[CommandEvidence] = []
    with tempfile.TemporaryDirectory(prefix="station-hive-") as work:
        hive = Path(work) / "SOFTWARE"
        for node in nodes:
            probe = runner.run(["blkid", "-o", "value", "-s", "TYPE", node], timeout=TIMEOUT)
            evidence.append(probe)
            if probe.stdout.strip() != "ntfs":
                continue
            # ntfscat writes the file on stdout; `sh` only redirects it to the work folder.
            # --force: a volume ntfsresize just grew is marked for a Windows check.
            script = 'exec ntfscat --force "$1" "$2" > "$3"'
            copied = runner.run(
                ["sh", "-c", script, "sh", node, SOFTWARE, str(hive)], timeout=TIMEOUT
            )
            evidence.append(copied)
            if copied.ok and hive.stat().st_size > 0:
                return node, facts_from_hive(runner, hive, evidence), evidence
    return None, None, evidence


def key_refusal(spec: LicenceSpec, facts: WindowsMaster | None) -> str | None:
    """Why a pool key must not be spent on this master, in French and English; None: fine."""
    if facts is None:
        return (
            "aucun registre Windows (Windows/System32/config/SOFTWARE) : pas d'image Windows, "
            "aucune clé utilisée / no Windows registry found: no key taken"
        )
    if not facts.generalized:
        return (
            f"image non généralisée ({facts.image_state or 'ImageState absent'}) : Windows "
            "n'appliquerait pas la clé, aucune clé utilisée ; généraliser le master avec "
            "sysprep /generalize /oobe / master not generalized: Windows would ignore the key"
        )
    if spec.edition is not None and facts.edition_id != spec.edition:
        return (
            f"clé {edition_name(spec.edition)} pour une image {edition_name(facts.edition_id)} "
            f"({facts.product_name or facts.edition_id}) : aucune clé utilisée / the pool's "
            f"keys are {spec.edition}, the master is {facts.edition_id}"
        )
    return channel_refusal(spec, facts)


def channel_refusal(spec: LicenceSpec, facts: WindowsMaster) -> str | None:
    """Why the pool's channel cannot apply on this master; None when it can or is unknown.

    Two cases are certain: an edition Microsoft does not sell in that channel (Famille has
    no volume licence, Éducation and Entreprise only volume ones), and Windows 7/8.x, whose
    volume media take only volume keys and retail/OEM media only retail/OEM keys. Windows 10
    and 11 use one media for every channel: a key of the same edition changes the channel.
    """
    if spec.channel is None:
        return None
    wanted = CHANNEL_NAMES[spec.channel]
    sold = EDITION_CHANNELS.get(facts.edition_id or "")
    if sold is not None and spec.channel not in sold:
        return (
            f"clé {wanted} pour une image {edition_name(facts.edition_id)} : cette édition "
            f"n'existe pas en licence {wanted}, aucune clé utilisée / no {spec.channel} "
            f"licence exists for {facts.edition_id}"
        )
    master = facts.channel
    if master is None or not facts.before_windows_10:
        return None
    if (master == "volume") != (spec.channel == "volume"):
        return (
            f"clé {wanted} pour une image installée avec une clé {CHANNEL_NAMES[master]} "
            f"({facts.key_channel}) : Windows {facts.nt_version} ne change pas de canal, "
            f"aucune clé utilisée / Windows {facts.nt_version} media of channel "
            f"{facts.key_channel} does not take {spec.channel} keys"
        )
    return None


def read_disk_windows(
    runner: Runner, device: str
) -> tuple[str | None, WindowsMaster | None, list[CommandEvidence]]:
    """The Windows facts of a master disk (its partitions as the kernel lists them)."""
    listing = runner.run(["sfdisk", "--json", device], timeout=TIMEOUT)
    if not listing.ok:
        return None, None, [listing]
    table = json.loads(listing.stdout).get("partitiontable", {})
    nodes = [entry["node"] for entry in table.get("partitions", [])]
    node, facts, evidence = read_windows_master(runner, nodes)
    return node, facts, [listing, *evidence]


def read_clonezilla_windows(
    runner: Runner, image: ClonezillaImage, work_dir: Path | None = None
) -> WindowsMaster | None:
    """The Windows facts of a Clonezilla image: each NTFS partition is restored into a
    sparse file (only its used blocks take room) until one holds the SOFTWARE hive."""
    for part in image.partitions:
        if part.fstype != "ntfs":
            continue
        with tempfile.TemporaryDirectory(prefix="station-ntfs-", dir=work_dir) as work:
            copy = Path(work) / part.name
            entry = next(e for e in image.entries if e.number == part.number)
            with copy.open("wb") as handle:
                handle.truncate(entry.size * image.sector_size)
            [restore] = restore_partition(part, [str(copy)], runner, on_read=lambda _: None)
            if restore.error is not None:
                raise ImageError(f"{part.name}: {restore.error}")
            _, facts, _ = read_windows_master(runner, [str(copy)])
            if facts is not None:
                return facts
    return None
