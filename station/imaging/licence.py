"""Windows licences: the firmware's OEM key (ACPI MSDM), or a key written into the answer file.

When the firmware carries an MSDM table, Windows activates from it: Station records that
it is there and the sha256 of its key, and injects nothing. Otherwise a key-pool key goes
into the answer file (unattend.xml) of the deployed Windows partition, mounted with ntfs-3g.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from station.devices.runner import CommandEvidence, Runner
from station.errors import CommandError

ACPI_TABLES = Path("/sys/firmware/acpi/tables")
# ACPI header (36 bytes) + version, reserved, data type, reserved, data length (4 each).
MSDM_DATA_LENGTH_AT, MSDM_DATA_AT = 52, 56
TIMEOUT = 300.0
SHELL_SETUP = (
    '<component name="Microsoft-Windows-Shell-Setup" processorArchitecture="amd64" '
    'publicKeyToken="31bf3856ad364e35" language="neutral" versionScope="nonSxS">'
)


@dataclass(frozen=True)
class FirmwareKey:
    table_sha256: str
    key_sha256: str


def key_digest(product_key: str) -> str:
    """The same digest as the inventory's key pool (upper case, no spaces)."""
    return hashlib.sha256(product_key.strip().upper().encode()).hexdigest()


def firmware_key(tables: Path = ACPI_TABLES) -> FirmwareKey | None:
    """The MSDM table's digests, or None when the firmware carries no OEM key."""
    try:
        table = (tables / "MSDM").read_bytes()
    except (FileNotFoundError, PermissionError):
        return None
    if len(table) < MSDM_DATA_AT + 29:
        return None
    length = int.from_bytes(table[MSDM_DATA_LENGTH_AT:MSDM_DATA_AT], "little")
    key = table[MSDM_DATA_AT : MSDM_DATA_AT + length].rstrip(b"\0").decode("ascii", "replace")
    return FirmwareKey(hashlib.sha256(table).hexdigest(), key_digest(key))


def with_product_key(text: str | None, product_key: str) -> str:
    """The answer file with `product_key` set in it (created when there is none)."""
    if text is None:
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<unattend xmlns="urn:schemas-microsoft-com:unattend">\n'
            '  <settings pass="specialize">\n'
            f"    {SHELL_SETUP}\n"
            f"      <ProductKey>{product_key}</ProductKey>\n"
            "    </component>\n"
            "  </settings>\n"
            "</unattend>\n"
        )
    # windowsPE pass: <ProductKey><Key>…</Key>…</ProductKey>; specialize: <ProductKey>…
    nested = re.compile(r"(<ProductKey>\s*<Key>)[^<]*(</Key>)")
    if nested.search(text):
        return nested.sub(lambda m: f"{m.group(1)}{product_key}{m.group(2)}", text, count=1)
    flat = re.compile(r"(<ProductKey>)[^<]*(</ProductKey>)")
    if flat.search(text):
        return flat.sub(lambda m: f"{m.group(1)}{product_key}{m.group(2)}", text, count=1)
    block = (
        f'  <settings pass="specialize">\n    {SHELL_SETUP}\n'
        f"      <ProductKey>{product_key}</ProductKey>\n    </component>\n  </settings>\n"
    )
    if "</unattend>" not in text:
        raise CommandError("the answer file has no </unattend>: not an answer file")
    return text.replace("</unattend>", block + "</unattend>", 1)


def write_answer_key(
    nodes: list[str], answer_file: str, product_key: str, runner: Runner
) -> tuple[str, list[CommandEvidence]]:
    """Write the key into the answer file of the first NTFS partition holding Windows/.

    Returns the partition used and the evidence; raises CommandError when none works.
    """
    evidence: list[CommandEvidence] = []

    def run(*argv: str) -> CommandEvidence:
        result = runner.run(argv, timeout=TIMEOUT)
        evidence.append(result)
        return result

    with tempfile.TemporaryDirectory(prefix="station-win-") as where:
        for node in nodes:
            probe = run("blkid", "-o", "value", "-s", "TYPE", node)
            if probe.stdout.strip() != "ntfs":
                continue
            mounted = run("ntfs-3g", node, where)
            if not mounted.ok:
                raise CommandError(mounted.describe())
            try:
                if not (Path(where) / "Windows").is_dir():
                    continue
                target = Path(where) / answer_file
                before = target.read_text(encoding="utf-8") if target.is_file() else None
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(with_product_key(before, product_key), encoding="utf-8")
            finally:
                unmounted = run("umount", where)
                if not unmounted.ok:
                    raise CommandError(unmounted.describe())
            return node, evidence
    raise CommandError("no NTFS partition with a Windows folder: the key was not written")
