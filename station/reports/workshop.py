"""The workshop that signs certificates: name, postal address and SIRET, from a small
YAML file (profiles/workshop/*.yaml shows one).

Looked up in this order: `--workshop FILE`, $STATION_WORKSHOP, `workshop.yaml` in the
data folder, then `workshop/default.yaml` in the profile folders. A certificate without
one still says everything about the disk, and says the workshop is not configured.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from station.errors import ConfigError
from station.paths import data_dir, profiles_dirs

WORKSHOP_ENV = "STATION_WORKSHOP"


class Workshop(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    address: list[str] = Field(default_factory=list, max_length=5)
    siret: str | None = Field(default=None, description="14 digits (INSEE's SIRENE)")
    website: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)

    def siret_text(self) -> str | None:
        """The SIRET grouped as printed on invoices: 123 456 789 00012."""
        if not self.siret:
            return None
        digits = self.siret
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"


def _check_siret(value: str | None, source: Path) -> str | None:
    if value is None:
        return None
    digits = re.sub(r"\s", "", str(value))
    if not re.fullmatch(r"\d{14}", digits):
        raise ConfigError(
            f"{source}: siret: {value!r} n'est pas un SIRET (14 chiffres) / is not a SIRET"
        )
    return digits


def load_workshop(path: Path) -> Workshop:
    """The workshop described in `path`; ConfigError naming the field when it is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected name, address and siret")
    data = {**data, "siret": _check_siret(data.get("siret"), path)}
    if isinstance(data.get("address"), str):
        data["address"] = [line for line in data["address"].splitlines() if line.strip()]
    try:
        return Workshop.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: {field}: {first['msg']}") from exc


def find_workshop(explicit: Path | None = None) -> Workshop | None:
    """The configured workshop, or None when none is configured anywhere."""
    if explicit is not None:
        return load_workshop(explicit)
    configured = os.environ.get(WORKSHOP_ENV)
    if configured:
        return load_workshop(Path(configured))
    candidates = [data_dir() / "workshop.yaml"]
    candidates += [folder / "workshop" / "default.yaml" for folder in profiles_dirs()]
    for candidate in candidates:
        if candidate.is_file():
            return load_workshop(candidate)
    return None
