"""Read a Windows master's edition and state from its registry, without mounting it.

`ntfscat` (ntfs-3g) copies `Windows/System32/config/SOFTWARE` out of the NTFS partition,
read-only; `hivexget` (libhivex-bin) reads the values:

- `\\Microsoft\\Windows NT\\CurrentVersion`: ProductName ("Windows 10 Pro"), EditionID
  ("Professional"; "Core" is Famille/Home);
- `\\Microsoft\\Windows\\CurrentVersion\\Setup\\State`: ImageState, which sysprep sets to
  IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE on a generalized master (a normal install says
  IMAGE_STATE_COMPLETE). Only a generalized master runs the specialize pass, where the
  answer file's key is applied, and SetupComplete.cmd.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.domain.image_profile import LicenceSpec, WindowsMaster, edition_name
from station.errors import ImageError
from station.imaging.clonezilla import ClonezillaImage
from station.imaging.partclone_feed import restore_partition

SOFTWARE = "Windows/System32/config/SOFTWARE"
CURRENT_VERSION = "\\Microsoft\\Windows NT\\CurrentVersion"
SETUP_STATE = "\\Microsoft\\Windows\\CurrentVersion\\Setup\\State"
TIMEOUT = 120.0


def hive_value(
    runner: Runner, hive: Path, key: str, name: str, evidence: list[CommandEvidence]
) -> str | None:
    """A string value, or None when the key or value is missing (hivexget exits 1)."""
    done = runner.run(["hivexget", str(hive), key, name], timeout=TIMEOUT)
    evidence.append(done)
    value = done.stdout.strip()
    return value if done.ok and value else None


def facts_from_hive(
    runner: Runner, software: Path, evidence: list[CommandEvidence]
) -> WindowsMaster:
    return WindowsMaster(
        product_name=hive_value(runner, software, CURRENT_VERSION, "ProductName", evidence),
        edition_id=hive_value(runner, software, CURRENT_VERSION, "EditionID", evidence),
        image_state=hive_value(runner, software, SETUP_STATE, "ImageState", evidence),
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
