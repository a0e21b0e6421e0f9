"""The request journal: every answered LLM request, and every request that ended in quarantine,
in SQLite (WAL), keyed by content.

An answered request is never sent again: re-running a build replays it from here. Each answer
is committed the moment it arrives, before anyone uses it, so a build killed at any moment (even
`kill -9`: a WAL commit survives the process) resumes where it stopped. Quarantined requests
keep their reason code and last error (and the unusable raw text of structured requests); a
later run tries them again, and an answer then clears the quarantine entry.

Leases (the `leases` table, see `journal_api`) keep two processes on one file from sending the
same request twice; the PostgreSQL backend (`journal_postgres`) does the same across machines.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.llm.journal_api import (
    ANSWER_COLUMNS,
    ANSWERED_EXPORT,
    DEFAULT_LEASE_S,
    QUARANTINE_COLUMNS,
    QUARANTINED_EXPORT,
    TOTALS,
    JournalEntry,
    answer_entry,
    exported_rows,
    identity,
    owner_gone,
    quarantine_entry,
    totals_of,
)
from pipeline.llm.journal_schema import Transaction, create_or_migrate

__all__ = ["Journal", "JournalEntry"]


class Journal:
    """One SQLite file; safe to open from several processes (WAL, busy timeout) and to share
    between threads (Prefect runs tasks in a thread pool)."""

    def __init__(self, path: str | Path, *, lease_s: float = DEFAULT_LEASE_S):
        self.path = Path(path)
        self.lease_s = lease_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL commits survive a killed process
            create_or_migrate(self._conn)
        except sqlite3.DatabaseError as exc:  # another kind of file: say so, leave it as it is
            self._conn.close()
            raise SeedforgeError(
                f"not a seedforge request journal (SQLite says: {exc})", path=self.path
            ) from None
        # keys known to be quarantined (at opening, or since): an answer clears its entry
        # without a second statement per answer
        self._quarantined = {row[0] for row in self._conn.execute("SELECT key FROM quarantine")}

    def _transaction(self) -> Transaction:
        return Transaction(self._conn)

    @property
    def location(self) -> str:
        return str(self.path)

    # ---- reading ---------------------------------------------------------------------------
    def answer(self, key: str) -> JournalEntry | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {ANSWER_COLUMNS} FROM requests WHERE key = ?", (key,)
            ).fetchone()
        return answer_entry(row) if row else None

    def get(self, key: str) -> JournalEntry | None:
        """Where the request stands: quarantined (a structured request can be quarantined while
        its unusable answer is journaled), else answered, else None (never settled)."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {QUARANTINE_COLUMNS} FROM quarantine WHERE key = ?", (key,)
            ).fetchone()
        return self.answer(key) if row is None else quarantine_entry(row)

    def counts(self) -> dict[str, int]:
        with self._lock:
            answered = self._conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
            quarantined = self._conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
        return {k: v for k, v in (("answered", answered), ("quarantined", quarantined)) if v}

    def totals(self) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute(TOTALS.format(table="requests")).fetchone()
            reasons = self._conn.execute("SELECT reason, COUNT(*) FROM quarantine GROUP BY reason").fetchall()
        return totals_of(row, reasons)

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        """The exported view: one dict per request, answered first, then quarantined."""
        with self._lock:
            answered = (
                []
                if status == "quarantined"
                else self._conn.execute(ANSWERED_EXPORT.format(table="requests")).fetchall()
            )
            quarantined = (
                []
                if status == "answered"
                else self._conn.execute(QUARANTINED_EXPORT.format(table="quarantine")).fetchall()
            )
        return exported_rows(answered, quarantined)

    # ---- writing ---------------------------------------------------------------------------
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
        cost_usd: float | None = 0.0,
        usage_estimated: bool = False,
        request_json: str | None = None,
    ) -> None:
        """Committed before returning (one autocommit statement: cheap, and crash-safe).
        `cost_usd` None: the model has no price; `usage_estimated`: the server gave no usage."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO requests (key, status, model, template_version, sample_index,"
                " request_json, response_text, finish_reason, prompt_tokens, completion_tokens,"
                " cost_usd, latency_s, attempts, error, updated_at, usage_estimated)"
                " VALUES (?, 'answered', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                (
                    key,
                    *identity(request, request_json),
                    response_text,
                    finish_reason,
                    prompt_tokens,
                    completion_tokens,
                    cost_usd,
                    latency_s,
                    attempts,
                    time.time(),
                    int(usage_estimated),
                ),
            )
        self.clear_quarantine(key)

    def record_quarantine(
        self,
        key: str,
        request: dict[str, Any],
        error: str,
        attempts: int,
        *,
        reason: str = "unknown",
        raw_text: str | None = None,
        request_json: str | None = None,
    ) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO quarantine (key, model, template_version, sample_index,"
                " request_json, reason, error, raw_text, attempts, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, *identity(request, request_json), reason, error, raw_text, attempts, time.time()),
            )
            self._quarantined.add(key)

    def clear_quarantine(self, key: str) -> None:
        """The request has a usable answer now. Another process may have quarantined it since
        this one opened the file, so the table is asked, not only this process's set (a read:
        no write lock unless there is a row to delete)."""
        with self._lock:
            if (
                key in self._quarantined
                or self._conn.execute("SELECT 1 FROM quarantine WHERE key = ?", (key,)).fetchone()
            ):
                self._conn.execute("DELETE FROM quarantine WHERE key = ?", (key,))
                self._quarantined.discard(key)

    # ---- leases ----------------------------------------------------------------------------
    def take_lease(self, key: str, owner: str) -> bool:
        now = time.time()
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
                " SET owner = excluded.owner, expires_at = excluded.expires_at"
                " WHERE leases.expires_at < ? OR leases.owner = excluded.owner",
                (key, owner, now + self.lease_s, now),
            )
            if cursor.rowcount == 1:
                return True
            row = self._conn.execute("SELECT owner FROM leases WHERE key = ?", (key,)).fetchone()
            if row is None or not owner_gone(row[0]):
                return False
            cursor = self._conn.execute(
                "UPDATE leases SET owner = ?, expires_at = ? WHERE key = ? AND owner = ?",
                (owner, now + self.lease_s, key, row[0]),
            )
            return cursor.rowcount == 1

    def renew_leases(self, owner: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE leases SET expires_at = ? WHERE owner = ?", (time.time() + self.lease_s, owner)
            )

    def release_lease(self, key: str, owner: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM leases WHERE key = ? AND owner = ?", (key, owner))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
