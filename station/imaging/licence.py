"""Windows licences: the firmware's OEM key (ACPI MSDM), or a key written into the answer file.

When the firmware carries an MSDM table, Windows activates from it: Station records that
it is there and the sha256 of its key, and injects nothing. Otherwise a key-pool key goes
into the answer file (unattend.xml) of the deployed Windows partition, mounted with ntfs-3g.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
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


def _specialize_key(text: str, product_key: str) -> str:
    """Put the key in the specialize pass, the one a generalized master runs on its first
    boot: into its Shell-Setup component, else a new component in that pass, else a new
    pass (never a second specialize pass: Windows Setup rejects such a file)."""
    specialize = re.search(r'<settings\s+pass="specialize"\s*>.*?</settings>', text, re.DOTALL)
    if specialize is None:
        if "</unattend>" not in text:
            raise CommandError("the answer file has no </unattend>: not an answer file")
        block = (
            f'  <settings pass="specialize">\n    {SHELL_SETUP}\n'
            f"      <ProductKey>{product_key}</ProductKey>\n    </component>\n  </settings>\n"
        )
        return text.replace("</unattend>", block + "</unattend>", 1)
    section = specialize.group(0)
    shell = re.search(
        r'<component\b[^>]*name="Microsoft-Windows-Shell-Setup"[^>]*>', section, re.DOTALL
    )
    if shell is not None:
        at = shell.end()
        section = f"{section[:at]}\n      <ProductKey>{product_key}</ProductKey>{section[at:]}"
    else:
        opening = re.match(r"<settings[^>]*>", section)
        assert opening is not None
        at = opening.end()
        section = (
            f"{section[:at]}\n    {SHELL_SETUP}\n      <ProductKey>{product_key}</ProductKey>"
            f"\n    </component>{section[at:]}"
        )
    return text[: specialize.start()] + section + text[specialize.end() :]


def with_product_key(text: str | None, product_key: str) -> str:
    """The answer file with `product_key` in every pass that holds a key, and in the
    specialize pass (created when there is no file)."""
    if text is None:
        text = EMPTY_ANSWER_FILE
    # windowsPE pass: <ProductKey><Key>…</Key>…</ProductKey>; specialize: <ProductKey>…
    text = re.sub(
        r"(<ProductKey>\s*<Key>)[^<]*(</Key>)", lambda m: f"{m[1]}{product_key}{m[2]}", text
    )
    text = re.sub(
        r"(<ProductKey>)[^<]*(</ProductKey>)", lambda m: f"{m[1]}{product_key}{m[2]}", text
    )
    specialize = re.search(r'<settings\s+pass="specialize"\s*>.*?</settings>', text, re.DOTALL)
    if specialize is not None and "<ProductKey>" in specialize.group(0):
        return text
    return _specialize_key(text, product_key)


EMPTY_ANSWER_FILE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<unattend xmlns="urn:schemas-microsoft-com:unattend">\n</unattend>\n'
)
SETUP_COMPLETE = "Windows/Setup/Scripts/SetupComplete.cmd"
_MARK_BEGIN, _MARK_END = "rem station-licence-begin", "rem station-licence-end"


def with_setup_complete(text: str | None, product_key: str) -> str:
    """SetupComplete.cmd with Station's `slmgr /ipk` lines (replacing older ones); Windows
    runs it once, at the end of setup on a generalized master, before the first logon."""
    lines = (
        f"{_MARK_BEGIN}\r\n"
        f"cscript //nologo %windir%\\system32\\slmgr.vbs /ipk {product_key}\r\n"
        f"{_MARK_END}\r\n"
    )
    if text is None:
        return "@echo off\r\n" + lines
    kept = re.sub(rf"{_MARK_BEGIN}.*?{_MARK_END}\r?\n?", "", text, flags=re.DOTALL | re.IGNORECASE)
    return kept.rstrip("\r\n") + "\r\n" + lines


def _edit(target: Path, change: Callable[[str | None, str], str], product_key: str) -> None:
    before = target.read_text(encoding="utf-8") if target.is_file() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    # newline="" keeps the CRLF line ends Windows' cmd.exe expects.
    target.write_text(change(before, product_key), encoding="utf-8", newline="")


def write_answer_key(
    nodes: list[str], answer_file: str, product_key: str, runner: Runner
) -> tuple[str, list[CommandEvidence]]:
    """Write the key into the answer file (specialize pass) and SetupComplete.cmd (slmgr
    /ipk) of the first NTFS partition holding Windows/.

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
                _edit(Path(where) / answer_file, with_product_key, product_key)
                _edit(Path(where) / SETUP_COMPLETE, with_setup_complete, product_key)
            finally:
                unmounted = run("umount", where)
                if not unmounted.ok:
                    raise CommandError(unmounted.describe())
            return node, evidence
    raise CommandError("no NTFS partition with a Windows folder: the key was not written")
