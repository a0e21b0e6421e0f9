"""The request journal: every LLM request and its answer, in SQLite (WAL), keyed by content.

A request already answered is never sent again: re-running a build replays it from here, and a
build killed at any moment resumes where it stopped.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('answered', 'quarantined')),
    model TEXT NOT NULL,
    template_version TEXT,
    request_json TEXT NOT NULL,
    response_text TEXT,
    finish_reason TEXT,
    prompt_tokens INTEGER DEFAULT 0,
    completion_tokens INTEGER DEFAULT 0,
    latency_s REAL,
    attempts INTEGER DEFAULT 1,
    error TEXT,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class JournalEntry:
    key: str
    status: str
    response_text: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float | None
    attempts: int
    error: str | None


class Journal:
    """One SQLite file; safe to open from several processes (WAL, busy timeout) and to share
    between threads (Prefect runs tasks in a thread pool)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def get(self, key: str) -> JournalEntry | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT key, status, response_text, finish_reason, prompt_tokens, completion_tokens,"
                " latency_s, attempts, error FROM requests WHERE key = ?",
                (key,),
            ).fetchone()
        return JournalEntry(*row) if row else None

    def record_answer(
        self,
        key: str,
        request: dict[str, Any],
        response_text: str,
        *,
        finish_reason: str | None,
        prompt_tokens: int,
        completion_tokens: int,
        latency_s: float,
        attempts: int,
    ) -> None:
        self._upsert(key, "answered", request, response_text, finish_reason,
                     prompt_tokens, completion_tokens, latency_s, attempts, None)

    def record_quarantine(self, key: str, request: dict[str, Any], error: str, attempts: int) -> None:
        self._upsert(key, "quarantined", request, None, None, 0, 0, None, attempts, error)

    def _upsert(self, key: str, status: str, request: dict[str, Any], *values: Any) -> None:
        with self._lock:
            self._execute_upsert(key, status, request, *values)

    def _execute_upsert(self, key: str, status: str, request: dict[str, Any], *values: Any) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO requests (key, status, model, template_version, request_json,"
            " response_text, finish_reason, prompt_tokens, completion_tokens, latency_s, attempts,"
            " error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, status, request.get("model", ""), request.get("template_version"),
             json.dumps(request, ensure_ascii=False, sort_keys=True), *values, time.time()),
        )

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT status, COUNT(*) FROM requests GROUP BY status"
            ).fetchall()
        return {status: count for status, count in rows}

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
