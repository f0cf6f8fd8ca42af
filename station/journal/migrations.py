"""Schema of the bench journal, as sqlite-utils 4 migrations (applied in order, once each).

Never edit a migration that has shipped: add a new one, since sticks in the field carry
journals created by every earlier version.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

journal_migrations = Migrations("station-journal")


@journal_migrations()
def create_records_and_outbox(db: Database) -> None:
    # `envelope` is the exact JSON that was signed and sent; every other column is an index
    # over it, so a damaged column can always be rebuilt from the envelope.
    db.execute(
        """
        CREATE TABLE records (
            seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
            record_id   TEXT NOT NULL UNIQUE,
            digest      TEXT NOT NULL UNIQUE,
            bench_id    TEXT NOT NULL,
            kind        TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            envelope    TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX records_created_at ON records (created_at)")
    db.execute(
        """
        CREATE TABLE outbox (
            record_id        TEXT PRIMARY KEY REFERENCES records (record_id),
            seq              INTEGER NOT NULL UNIQUE,
            attempts         INTEGER NOT NULL DEFAULT 0,
            last_error       TEXT,
            last_attempt_at  TEXT,
            sent_at          TEXT
        )
        """
    )
    db.execute("CREATE INDEX outbox_pending ON outbox (seq) WHERE sent_at IS NULL")
    # Which bench and key this journal belongs to, so another bench's key is refused.
    db.execute("CREATE TABLE journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
