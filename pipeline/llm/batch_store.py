"""Which Batch API batches a journal has in flight: a table beside the journal's, in the same
SQLite file or PostgreSQL database, so a run killed while a batch is being processed resumes
polling that batch instead of submitting (and paying for) its requests again.

A batch is written here the moment the endpoint accepts it, with the journal keys it carries
(its lines' custom_id), and closed once its answers are in the journal. The journal modules are
not touched: this module opens its own connection to the journal's file, or borrows the
PostgreSQL journal's connection pool."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.llm.journal_api import JournalStore

SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    owner TEXT NOT NULL,
    keys TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT,
    created_at REAL NOT NULL,
    closed_at REAL
)
"""
POSTGRES_SCHEMA = """
SELECT pg_advisory_xact_lock(7281467);
CREATE TABLE IF NOT EXISTS journal_batches (
    batch_id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    owner TEXT NOT NULL,
    keys TEXT NOT NULL,
    state TEXT NOT NULL,
    status TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    closed_at DOUBLE PRECISION
);
"""


@dataclass(frozen=True)
class BatchRecord:
    batch_id: str
    endpoint: str
    keys: tuple[str, ...]  # the journal keys of its lines
    owner: str = ""  # the client that submitted it (journal_api.lease_owner)


class BatchStore(Protocol):
    def open_batches(self, endpoint: str) -> list[BatchRecord]: ...
    def add(self, record: BatchRecord) -> None: ...
    def close(self, batch_id: str, status: str) -> None: ...
    def shut(self) -> None: ...


class SQLiteBatchStore:
    """The `batches` table of a SQLite journal file (a connection of its own: WAL lets both write)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute(SQLITE_SCHEMA)

    def open_batches(self, endpoint: str) -> list[BatchRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT batch_id, endpoint, keys, owner FROM batches WHERE state = 'open' AND endpoint = ?"
                " ORDER BY created_at",
                (endpoint,),
            ).fetchall()
        return [BatchRecord(b, e, tuple(json.loads(k)), o) for b, e, k, o in rows]

    def add(self, record: BatchRecord) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO batches (batch_id, endpoint, owner, keys, state, created_at)"
                " VALUES (?, ?, ?, ?, 'open', ?)",
                (record.batch_id, record.endpoint, record.owner, json.dumps(record.keys), time.time()),
            )

    def close(self, batch_id: str, status: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE batches SET state = 'closed', status = ?, closed_at = ? WHERE batch_id = ?",
                (status, time.time(), batch_id),
            )

    def shut(self) -> None:
        self._conn.close()


class PostgresBatchStore:
    """`journal_batches` in the PostgreSQL journal's database, over its connection pool."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._run(POSTGRES_SCHEMA)

    def _run(self, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(statement, params)
                return list(cursor.fetchall()) if cursor.description else []
            finally:
                cursor.close()
        finally:
            conn.close()

    def open_batches(self, endpoint: str) -> list[BatchRecord]:
        rows = self._run(
            "SELECT batch_id, endpoint, keys, owner FROM journal_batches WHERE state = 'open'"
            " AND endpoint = %(endpoint)s ORDER BY created_at",
            {"endpoint": endpoint},
        )
        return [BatchRecord(b, e, tuple(json.loads(k)), o) for b, e, k, o in rows]

    def add(self, record: BatchRecord) -> None:
        self._run(
            "INSERT INTO journal_batches (batch_id, endpoint, owner, keys, state, created_at) VALUES"
            " (%(id)s, %(endpoint)s, %(owner)s, %(keys)s, 'open', %(at)s) ON CONFLICT (batch_id) DO NOTHING",
            {
                "id": record.batch_id,
                "endpoint": record.endpoint,
                "owner": record.owner,
                "keys": json.dumps(record.keys),
                "at": time.time(),
            },
        )

    def close(self, batch_id: str, status: str) -> None:
        self._run(
            "UPDATE journal_batches SET state = 'closed', status = %(status)s, closed_at = %(at)s"
            " WHERE batch_id = %(id)s",
            {"status": status, "at": time.time(), "id": batch_id},
        )

    def shut(self) -> None:
        """The pool is the journal's: it closes it."""


class MemoryBatchStore:
    """For a journal of another kind (tests' fakes): batches are remembered for this process only."""

    def __init__(self) -> None:
        self._open: dict[str, BatchRecord] = {}

    def open_batches(self, endpoint: str) -> list[BatchRecord]:
        return [r for r in self._open.values() if r.endpoint == endpoint]

    def add(self, record: BatchRecord) -> None:
        self._open[record.batch_id] = record

    def close(self, batch_id: str, status: str) -> None:
        self._open.pop(batch_id, None)

    def shut(self) -> None:
        pass


def batch_store_for(journal: JournalStore) -> BatchStore:
    """The batches table beside `journal`: in its SQLite file, or its PostgreSQL database."""
    from pipeline.llm.journal import Journal

    if isinstance(journal, Journal):
        return SQLiteBatchStore(str(journal.path))
    engine = getattr(journal, "_engine", None)  # the PostgreSQL journal's pool
    if engine is not None:
        return PostgresBatchStore(engine)
    return MemoryBatchStore()
