"""Settings of the inventory server, from arguments or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

DB_ENV = "STATION_INVENTORY_DB"
TOKEN_ENV = "STATION_INVENTORY_ADMIN_TOKEN"  # noqa: S105 (the variable's name, not a secret)
DEFAULT_DB = "sqlite:///station-inventory.db"


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

    @classmethod
    def from_env(cls, database_url: str | None = None, admin_token: str | None = None) -> Settings:
        return cls(
            database_url=database_url or os.environ.get(DB_ENV) or DEFAULT_DB,
            admin_token=admin_token or os.environ.get(TOKEN_ENV) or None,
        )
