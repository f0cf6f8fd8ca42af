"""The inventory's tables, created and upgraded by numbered migrations.

Each migration is a list of portable statements (SQLite and PostgreSQL); the applied
versions are kept in `schema_version`, so starting a newer server upgrades the database
in one transaction and an older one never runs twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from station.inventory.classroom import MIGRATION as CLASSROOM_MIGRATION
from station.inventory.database import Database
from station.inventory.destinations import MIGRATION as DESTINATIONS_MIGRATION
from station.inventory.keypool import MIGRATION as KEY_POOL_MIGRATION
from station.inventory.keypool import SIGNED_REQUESTS_MIGRATION
from station.inventory.lots import MIGRATION as LOTS_MIGRATION
from station.inventory.users import MIGRATION as USERS_MIGRATION

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE benches (
            bench_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            public_key TEXT NOT NULL,
            key_id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            enrolled_at TEXT NOT NULL,
            decided_at TEXT
        )""",
        """CREATE TABLE records (
            record_id TEXT PRIMARY KEY,
            bench_id TEXT NOT NULL REFERENCES benches (bench_id),
            seq INTEGER NOT NULL,
            prev TEXT,
            envelope_digest TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disk_serial TEXT,
            host_id TEXT,
            envelope TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL,
            UNIQUE (bench_id, seq)
        )""",
        "CREATE INDEX records_bench_time ON records (bench_id, created_at)",
        "CREATE INDEX records_disk ON records (disk_serial, created_at)",
        "CREATE INDEX records_host ON records (host_id, created_at)",
        "CREATE INDEX records_kind ON records (kind)",
    ],
    KEY_POOL_MIGRATION,  # 2: licence_keys, key_assignments (station/inventory/keypool.py)
    USERS_MIGRATION,  # 3: users, sessions, server_secrets (station/inventory/users.py)
    SIGNED_REQUESTS_MIGRATION,  # 4: answered signed requests (station/inventory/keypool.py)
    LOTS_MIGRATION,  # 5: lots, lot_machines, lot_documents (station/inventory/lots.py)
    DESTINATIONS_MIGRATION,  # 6: signed destinations (station/inventory/destinations.py)
    CLASSROOM_MIGRATION,  # 7: classroom sessions and laptops (station/inventory/classroom.py)
]


def migrate(db: Database) -> int:
    """Bring the database to the latest version; return that version."""
    with db.transaction(write=True) as tx:
        tx.run(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        found = tx.row("SELECT MAX(version) FROM schema_version")
        current = int(found[0]) if found and found[0] is not None else 0
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            for statement in statements:
                tx.run(statement)
            tx.run(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, datetime.now(UTC).isoformat()),
            )
    return len(MIGRATIONS)
