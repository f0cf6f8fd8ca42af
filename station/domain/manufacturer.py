"""Who made a drive, from what the drive itself says: smartctl's model family first, then
the IEEE OUI inside its WWN, then the prefix of its model string.

Sysfs' `vendor` is "ATA" for every SATA disk behind libata, so it names no manufacturer;
it is used only when it is a real name (a USB or SCSI drive's own vendor field). The
OUIs are those of the IEEE registry (standards-oui.ieee.org) seen on real drives, for
instance `LU WWN Device Id: 5 0014ee ...` on Western Digital disks (smartctl -i).
"""

from __future__ import annotations

import re

# IEEE OUI (6 hex digits, lower case) -> manufacturer, for drive WWNs (NAA 5).
WWN_OUI = {
    "0014ee": "Western Digital",
    "001b44": "SanDisk (Western Digital)",
    "000c50": "Seagate",
    "0004cf": "Seagate",
    "002538": "Samsung",
    "0000f0": "Samsung",
    "00a075": "Micron (Crucial)",
    "000cca": "HGST (Hitachi)",
    "000039": "Toshiba",
    "00080d": "Toshiba",
    "0026b7": "Kingston",
    "5cd2e4": "Intel",
    "001517": "Intel",
    "00242c": "Hynix",
    "e83a97": "Toshiba (Kioxia)",
}

# Model string prefixes (upper case) -> manufacturer, most specific first.
MODEL_PREFIX = (
    ("WDC ", "Western Digital"),
    ("WD_BLACK", "Western Digital"),
    ("WD ", "Western Digital"),
    ("WESTERN DIGITAL", "Western Digital"),
    ("SAMSUNG", "Samsung"),
    ("MZ", "Samsung"),
    ("ST", "Seagate"),
    ("SEAGATE", "Seagate"),
    ("HGST", "HGST (Hitachi)"),
    ("HITACHI", "HGST (Hitachi)"),
    ("HTS", "HGST (Hitachi)"),
    ("HDS", "HGST (Hitachi)"),
    ("TOSHIBA", "Toshiba"),
    ("KIOXIA", "Toshiba (Kioxia)"),
    ("CRUCIAL", "Micron (Crucial)"),
    ("CT", "Micron (Crucial)"),
    ("MICRON", "Micron (Crucial)"),
    ("KINGSTON", "Kingston"),
    ("SANDISK", "SanDisk (Western Digital)"),
    ("INTEL", "Intel"),
    ("SSDPE", "Intel"),
    ("SSDSC", "Intel"),
    ("SK HYNIX", "SK hynix"),
    ("HFS", "SK hynix"),
    ("LITEON", "Lite-On"),
    ("LITE-ON", "Lite-On"),
    ("ADATA", "ADATA"),
    ("TRANSCEND", "Transcend"),
    ("TS", "Transcend"),
    ("PNY", "PNY"),
    ("MAXTOR", "Maxtor"),
    ("FUJITSU", "Fujitsu"),
)

# Model families named after their maker ("Western Digital Red", "Samsung based SSDs").
_FAMILY_NAMES = tuple(
    dict.fromkeys(
        name
        for _, name in MODEL_PREFIX
        if name not in ("Micron (Crucial)", "HGST (Hitachi)", "SanDisk (Western Digital)")
    )
)
_FAMILY_ALIASES = (
    ("CRUCIAL/MICRON", "Micron (Crucial)"),
    ("MICRON", "Micron (Crucial)"),
    ("HITACHI", "HGST (Hitachi)"),
    ("HGST", "HGST (Hitachi)"),
    ("SANDISK", "SanDisk (Western Digital)"),
)
# Vendor strings that name a transport or a generic bridge, not a maker.
_GENERIC_VENDORS = {"ATA", "SATA", "NVME", "USB", "GENERIC", "LINUX", "QEMU", "VIRTIO"}


def oui_of(wwn: str | None) -> str | None:
    """The OUI inside an NAA 5 WWN (`0x50014ee2b1234567` or `5 0014ee 2b1234567`)."""
    if not wwn:
        return None
    digits = re.sub(r"[^0-9a-f]", "", wwn.lower().removeprefix("0x").removeprefix("naa."))
    if len(digits) < 7 or digits[0] not in "56":
        return None
    return digits[1:7]


def manufacturer_of(
    *,
    model_family: str | None = None,
    wwn: str | None = None,
    model: str | None = None,
    vendor: str | None = None,
) -> tuple[str, str] | None:
    """(manufacturer, where it came from) — the source is one of `model_family`, `wwn`,
    `model`, `vendor` — or None when nothing the drive said names its maker."""
    family = (model_family or "").upper()
    for alias, name in _FAMILY_ALIASES:
        if family.startswith(alias):
            return name, "model_family"
    for name in _FAMILY_NAMES:
        if family.startswith(name.upper()):
            return name, "model_family"
    oui = oui_of(wwn)
    if oui in WWN_OUI:
        return WWN_OUI[oui], "wwn"
    upper = (model or "").upper()
    for prefix, name in MODEL_PREFIX:
        if upper.startswith(prefix):
            return name, "model"
    cleaned = (vendor or "").strip()
    if cleaned and cleaned.upper() not in _GENERIC_VENDORS:
        return cleaned, "vendor"
    return None
