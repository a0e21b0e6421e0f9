"""The request journal: every answered LLM request, and every request that ended in quarantine,
in SQLite (WAL), keyed by content.

An answered request is never sent again: re-running a build replays it from here. Each answer
is committed the moment it arrives, before anyone uses it, so a build killed at any moment (even
`kill -9`: a WAL commit survives the process) resumes where it stopped. Quarantined requests
keep their reason code and last error (and the unusable raw text of structured requests); a
later run tries them again, and an answer then clears the quarantine entry.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.llm.journal_schema import ANSWER_COLUMNS, Transaction, create_or_migrate


@dataclass(frozen=True)
class JournalEntry:
    key: str
    status: str  # answered | quarantined
    response_text: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float | None
    attempts: int
    error: str | None
    cost_usd: float | None = 0.0  # None: the model had no price
    usage_estimated: bool = False  # the server gave no usage: the tokens are estimated
    reason: str | None = None


class Journal:
    """One SQLite file; safe to open from several processes (WAL, busy timeout) and to share
    between threads (Prefect runs tasks in a thread pool)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL commits survive a killed process
        create_or_migrate(self._conn)
        # keys known to be quarantined (at opening, or since): an answer clears its entry
        # without a second statement per answer
        self._quarantined = {row[0] for row in self._conn.execute("SELECT key FROM quarantine")}

    def _transaction(self) -> Transaction:
        return Transaction(self._conn)

    # ---- reading ---------------------------------------------------------------------------
    def answer(self, key: str) -> JournalEntry | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {ANSWER_COLUMNS} FROM requests WHERE key = ?", (key,)
            ).fetchone()
        if not row:
            return None
        key, status, text, finish, prompt, completion, latency, attempts, error, cost, estimated = row
        return JournalEntry(
            key,
            status,
            text,
            finish,
            prompt,
            completion,
            latency,
            attempts,
            error,
            cost,
            usage_estimated=bool(estimated),
        )

    def get(self, key: str) -> JournalEntry | None:
        """Where the request stands: quarantined (a structured request can be quarantined while
        its unusable answer is journaled), else answered, else None (never settled)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT key, raw_text, attempts, error, reason FROM quarantine WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return self.answer(key)
        return JournalEntry(
            row[0], "quarantined", row[1], None, 0, 0, None, row[2], row[3], 0.0, reason=row[4]
        )

    def counts(self) -> dict[str, int]:
        with self._lock:
            answered = self._conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
            quarantined = self._conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
        return {k: v for k, v in (("answered", answered), ("quarantined", quarantined)) if v}

    def totals(self) -> dict[str, Any]:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0),"
                " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost_usd), 0),"
                " COALESCE(SUM(CASE WHEN cost_usd IS NULL THEN prompt_tokens + completion_tokens END), 0),"
                " COALESCE(SUM(usage_estimated), 0)"
                " FROM requests"
            ).fetchone()
            reasons = self._conn.execute("SELECT reason, COUNT(*) FROM quarantine GROUP BY reason").fetchall()
        return {
            "answered": row[0],
            "prompt_tokens": row[1],
            "completion_tokens": row[2],
            "cost_usd": round(row[3], 6),
            "cost_known": row[4] == 0,
            "unpriced_tokens": row[4],
            "usage_estimated": row[5],
            "quarantined_by_reason": dict(reasons),
        }

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        """The exported view: one dict per request, answered first, then quarantined."""
        with self._lock:
            answered = (
                []
                if status == "quarantined"
                else self._conn.execute(
                    "SELECT key, model, template_version, sample_index, request_json, response_text,"
                    " finish_reason, prompt_tokens, completion_tokens, cost_usd, latency_s, attempts,"
                    " updated_at, usage_estimated FROM requests ORDER BY updated_at, key"
                ).fetchall()
            )
            quarantined = (
                []
                if status == "answered"
                else self._conn.execute(
                    "SELECT key, model, template_version, sample_index, request_json, reason, error,"
                    " raw_text, attempts, updated_at FROM quarantine ORDER BY updated_at, key"
                ).fetchall()
            )
        for (
            key,
            model,
            template,
            sample,
            request,
            text,
            finish,
            prompt,
            completion,
            cost,
            latency,
            attempts,
            at,
            estimated,
        ) in answered:
            yield {
                "key": key,
                "status": "answered",
                "model": model,
                "template_version": template,
                "sample_index": sample,
                "request": json.loads(request),
                "response_text": text,
                "finish_reason": finish,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "usage_estimated": bool(estimated),
                "cost_usd": cost,
                "latency_s": latency,
                "attempts": attempts,
                "updated_at": at,
            }
        for key, model, template, sample, request, reason, error, raw, attempts, at in quarantined:
            yield {
                "key": key,
                "status": "quarantined",
                "model": model,
                "template_version": template,
                "sample_index": sample,
                "request": json.loads(request),
                "reason": reason,
                "error": error,
                "raw_text": raw,
                "attempts": attempts,
                "updated_at": at,
            }

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
                    *_identity(request, request_json),
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
                (key, *_identity(request, request_json), reason, error, raw_text, attempts, time.time()),
            )
            self._quarantined.add(key)

    def clear_quarantine(self, key: str) -> None:
        """The request has a usable answer now."""
        with self._lock:
            if key in self._quarantined:
                self._conn.execute("DELETE FROM quarantine WHERE key = ?", (key,))
                self._quarantined.discard(key)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _identity(request: dict[str, Any], request_json: str | None) -> tuple[str, str | None, int, str]:
    return (
        request.get("model", ""),
        request.get("template_version"),
        request.get("sample_index", 0),
        request_json or json.dumps(request, ensure_ascii=False, sort_keys=True),
    )
