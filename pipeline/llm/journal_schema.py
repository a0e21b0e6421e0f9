"""The journal's SQLite schema (answers, quarantine, leases), its migration from older files, and a
write transaction."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3
SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('answered', 'quarantined')),
    model TEXT NOT NULL,
    template_version TEXT,
    sample_index INTEGER DEFAULT 0,
    request_json TEXT NOT NULL,
    response_text TEXT,
    finish_reason TEXT,
    prompt_tokens INTEGER DEFAULT 0,
    completion_tokens INTEGER DEFAULT 0,
    cost_usd REAL DEFAULT 0,
    latency_s REAL,
    attempts INTEGER DEFAULT 1,
    error TEXT,
    updated_at REAL NOT NULL,
    usage_estimated INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS quarantine (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    template_version TEXT,
    sample_index INTEGER DEFAULT 0,
    request_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    error TEXT,
    raw_text TEXT,
    attempts INTEGER DEFAULT 0,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""
# columns added since the walking skeleton's journal; cost_usd is NULL for a model with no
# price (its cost is unknown), usage_estimated 1 when the server gave no usage
ADDED_COLUMNS = {
    "sample_index": "INTEGER DEFAULT 0",
    "cost_usd": "REAL DEFAULT 0",
    "usage_estimated": "INTEGER DEFAULT 0",
}


def create_or_migrate(conn: sqlite3.Connection) -> None:
    """Create the tables, and bring an older journal file up to this schema."""
    conn.executescript(SCHEMA)
    if conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
        return
    with Transaction(conn):
        present = {row[1] for row in conn.execute("PRAGMA table_info(requests)")}
        for column, spec in ADDED_COLUMNS.items():
            if column not in present:
                conn.execute(f"ALTER TABLE requests ADD COLUMN {column} {spec}")
        # the skeleton kept quarantined requests beside the answers
        conn.execute(
            "INSERT OR REPLACE INTO quarantine (key, model, template_version, sample_index,"
            " request_json, reason, error, attempts, updated_at) SELECT key, model,"
            " template_version, sample_index, request_json, 'unknown', error, attempts, updated_at"
            " FROM requests WHERE status = 'quarantined'"
        )
        conn.execute("DELETE FROM requests WHERE status = 'quarantined'")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
