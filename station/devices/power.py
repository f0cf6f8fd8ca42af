"""The battery's charge now and whether the charger is plugged, from
/sys/class/power_supply (the same files `station host` reads for the health).

Energy is in µWh (ENERGY_*) or, on some batteries, charge in µAh (CHARGE_*) to be
multiplied by the design voltage. Mains supplies (ACAD, AC, ADP1) say ONLINE=1 when the
charger is plugged in; USB-C supplies are TYPE=USB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station.devices.hostinfo import POWER_SUPPLY, parse_power_supply_uevent
from station.domain.host import Battery


def supply_values(text: str) -> dict[str, str]:
    """A uevent file (or `udevadm info` E: lines) as {'TYPE': 'Mains', ...}."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.removeprefix("E: ").partition("=")
        if sep and key.startswith("POWER_SUPPLY_"):
            values[key.removeprefix("POWER_SUPPLY_")] = value.strip()
    return values


def _micro(values: dict[str, str], key: str) -> int | None:
    text = values.get(key, "")
    return int(text) if text.lstrip("-").isdigit() else None


def energy_now_wh(values: dict[str, str]) -> float | None:
    """The charge left, in Wh (ENERGY_NOW, or CHARGE_NOW × the design voltage)."""
    energy = _micro(values, "ENERGY_NOW")
    if energy is not None:
        return energy / 1e6
    charge, volts = _micro(values, "CHARGE_NOW"), _micro(values, "VOLTAGE_MIN_DESIGN")
    return charge / 1e6 * volts / 1e6 if charge is not None and volts else None


@dataclass(frozen=True)
class BatteryNow:
    facts: Battery
    status: str | None
    energy_wh: float | None


@dataclass(frozen=True)
class PowerState:
    batteries: list[BatteryNow]
    charger_online: bool | None  # None: the machine lists no mains or USB supply


def power_state_of(texts: list[str]) -> PowerState:
    batteries: list[BatteryNow] = []
    online: list[bool] = []
    for text in texts:
        values = supply_values(text)
        if values.get("TYPE") in ("Mains", "USB", "USB_C", "USB_PD"):
            if "ONLINE" in values:
                online.append(values["ONLINE"] == "1")
            continue
        facts = parse_power_supply_uevent(text.replace("E: ", ""))
        if facts is not None and values.get("SCOPE") != "Device":  # not a mouse's battery
            batteries.append(BatteryNow(facts, values.get("STATUS"), energy_now_wh(values)))
    return PowerState(batteries, any(online) if online else None)


def read_power_state(power_supply: Path = POWER_SUPPLY) -> PowerState:
    texts = []
    for uevent in sorted(power_supply.glob("*/uevent")):
        try:
            texts.append(uevent.read_text(errors="replace"))
        except OSError:
            continue
    return power_state_of(texts)
