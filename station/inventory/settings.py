"""Settings of the inventory server, from arguments or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

DB_ENV = "STATION_INVENTORY_DB"
TOKEN_ENV = "STATION_INVENTORY_ADMIN_TOKEN"  # noqa: S105 (the variable's name, not a secret)
DEFAULT_DB = "sqlite:///station-inventory.db"
# The funder report's CO2e factor: a number with its source and date, or nothing at all.
CO2E_FACTOR_ENV = "STATION_CO2E_FACTOR_KG"
CO2E_SOURCE_ENV = "STATION_CO2E_SOURCE"
CO2E_DATE_ENV = "STATION_CO2E_DATE"


@dataclass(frozen=True)
class Co2Factor:
    """kg CO2e avoided per reused device, as a published source states it."""

    kg_per_device: float
    source: str
    published: str

    @classmethod
    def from_env(cls) -> tuple[Co2Factor | None, str]:
        """The configured factor, or None and why (nothing set, or a part missing)."""
        values = [os.environ.get(name, "").strip() for name in
                  (CO2E_FACTOR_ENV, CO2E_SOURCE_ENV, CO2E_DATE_ENV)]  # fmt: skip
        if not any(values):
            return None, "aucun facteur d'émission n'est configuré"
        factor, source, published = values
        try:
            number = float(factor.replace(",", "."))
        except ValueError:
            return None, f"{CO2E_FACTOR_ENV} n'est pas un nombre ({factor!r})"
        if number <= 0 or not source or not published:
            return None, (
                f"facteur incomplet : {CO2E_FACTOR_ENV} (positif), {CO2E_SOURCE_ENV} et "
                f"{CO2E_DATE_ENV} sont nécessaires tous les trois"
            )
        return cls(number, source, published), ""


@dataclass(frozen=True)
class Settings:
    """What the server needs; every limit says what a client gets when it crosses it."""

    database_url: str = DEFAULT_DB
    # None disables the admin API (every admin call gets 403 with the reason).
    admin_token: str | None = None
    # One envelope is a few KiB; the margin covers long command outputs' digests and argv.
    max_record_bytes: int = 256 * 1024
    max_batch_bytes: int = 16 * 1024 * 1024
    max_batch_records: int = 1000
    co2e: Co2Factor | None = None
    co2e_missing: str = "aucun facteur d'émission n'est configuré"

    @classmethod
    def from_env(cls, database_url: str | None = None, admin_token: str | None = None) -> Settings:
        co2e, missing = Co2Factor.from_env()
        return cls(
            database_url=database_url or os.environ.get(DB_ENV) or DEFAULT_DB,
            admin_token=admin_token or os.environ.get(TOKEN_ENV) or None,
            co2e=co2e,
            co2e_missing=missing,
        )
