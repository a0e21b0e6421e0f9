"""The request journal on PostgreSQL (SQLAlchemy Core over psycopg 3), for workers on several
machines sharing one build: the same answers, quarantine and leases as the SQLite journal.

Every write is one autocommitted statement, so an answer is committed before the client uses it
(asynchronous commit: kept when the worker dies, as SQLite's WAL commits are; a crash of the
server itself may lose its last fraction of a second of answers, which are then asked again).
Tables carry a `journal_` prefix: the journal may share a database with Prefect. Lease clocks are
the server's (`clock_timestamp()`), so workers' clocks never have to agree; the leases table is
UNLOGGED (a lease is worth nothing after a server crash, and its writes then cost no WAL flush)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
from sqlalchemy import Engine

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

# one transaction, under an advisory lock: workers starting together must not race on CREATE
SCHEMA = """
SELECT pg_advisory_xact_lock(7281466);
CREATE TABLE IF NOT EXISTS journal_requests (
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
    cost_usd DOUBLE PRECISION DEFAULT 0,
    latency_s DOUBLE PRECISION,
    attempts INTEGER DEFAULT 1,
    error TEXT,
    updated_at DOUBLE PRECISION NOT NULL,
    usage_estimated INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS journal_quarantine (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    template_version TEXT,
    sample_index INTEGER DEFAULT 0,
    request_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    error TEXT,
    raw_text TEXT,
    attempts INTEGER DEFAULT 0,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE UNLOGGED TABLE IF NOT EXISTS journal_leases (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
"""
NOW = "extract(epoch FROM clock_timestamp())"
# an answer replaces a quarantine entry in the same statement: another worker may have written
# that entry since this one opened the journal
RECORD_ANSWER = (
    "WITH cleared AS (DELETE FROM journal_quarantine WHERE key = %(key)s)"
    " INSERT INTO journal_requests (key, status, model, template_version, sample_index, request_json,"
    " response_text, finish_reason, prompt_tokens, completion_tokens, cost_usd, latency_s, attempts,"
    " error, updated_at, usage_estimated) VALUES (%(key)s, 'answered', %(model)s, %(template)s,"
    " %(sample)s, %(request)s, %(text)s, %(finish)s, %(prompt)s, %(completion)s, %(cost)s, %(latency)s,"
    " %(attempts)s, NULL, %(at)s, %(estimated)s)"
    " ON CONFLICT (key) DO UPDATE SET status = 'answered', model = EXCLUDED.model,"
    " template_version = EXCLUDED.template_version, sample_index = EXCLUDED.sample_index,"
    " request_json = EXCLUDED.request_json, response_text = EXCLUDED.response_text,"
    " finish_reason = EXCLUDED.finish_reason, prompt_tokens = EXCLUDED.prompt_tokens,"
    " completion_tokens = EXCLUDED.completion_tokens, cost_usd = EXCLUDED.cost_usd,"
    " latency_s = EXCLUDED.latency_s, attempts = EXCLUDED.attempts, error = NULL,"
    " updated_at = EXCLUDED.updated_at, usage_estimated = EXCLUDED.usage_estimated"
)
RECORD_QUARANTINE = (
    "INSERT INTO journal_quarantine (key, model, template_version, sample_index, request_json, reason,"
    " error, raw_text, attempts, updated_at) VALUES (%(key)s, %(model)s, %(template)s, %(sample)s,"
    " %(request)s, %(reason)s, %(error)s, %(raw)s, %(attempts)s, %(at)s)"
    " ON CONFLICT (key) DO UPDATE SET model = EXCLUDED.model,"
    " template_version = EXCLUDED.template_version, sample_index = EXCLUDED.sample_index,"
    " request_json = EXCLUDED.request_json, reason = EXCLUDED.reason, error = EXCLUDED.error,"
    " raw_text = EXCLUDED.raw_text, attempts = EXCLUDED.attempts, updated_at = EXCLUDED.updated_at"
)
TAKE_LEASE = (
    f"INSERT INTO journal_leases (key, owner, expires_at) VALUES (%(key)s, %(owner)s, {NOW} + %(ttl)s)"
    " ON CONFLICT (key) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at"
    f" WHERE journal_leases.expires_at < {NOW} OR journal_leases.owner = EXCLUDED.owner"
    " RETURNING key"
)


class PostgresJournal:
    """Opened by `journal_location.open_journal`, which checks the server first. Thread-safe:
    each call takes a connection from SQLAlchemy's pool and runs one statement on psycopg's
    cursor (SQLAlchemy's statement layer would double the client's cost per request)."""

    def __init__(self, engine: Engine, shown: str, *, lease_s: float = DEFAULT_LEASE_S):
        self._engine = engine
        self._shown = shown
        self.lease_s = lease_s
        self._run(SCHEMA)
        # keys known to be quarantined (at opening, or since), as the SQLite journal keeps them;
        # an answer clears any entry in its own statement whoever wrote it
        self._quarantined = {row[0] for row in self._run("SELECT key FROM journal_quarantine")[1]}

    @property
    def location(self) -> str:
        return self._shown

    def _run(self, statement: str, params: dict[str, Any] | None = None) -> tuple[int, list[Any]]:
        """(rows affected, rows returned); the connection goes back to the pool, or is dropped
        from it when the server is gone (the next call then connects afresh)."""
        conn = self._engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(statement, params)
                return cursor.rowcount, list(cursor.fetchall()) if cursor.description else []
            finally:
                cursor.close()
        except psycopg.OperationalError:
            conn.invalidate()
            raise
        finally:
            conn.close()

    def _one(self, statement: str, **params: Any) -> Any:
        rows = self._run(statement, params)[1]
        return rows[0] if rows else None

    def _all(self, statement: str, **params: Any) -> list[Any]:
        return self._run(statement, params)[1]

    def _write(self, statement: str, **params: Any) -> int:
        return self._run(statement, params)[0]

    # ---- reading ---------------------------------------------------------------------------
    def answer(self, key: str) -> JournalEntry | None:
        row = self._one(f"SELECT {ANSWER_COLUMNS} FROM journal_requests WHERE key = %(key)s", key=key)
        return answer_entry(row) if row else None

    def get(self, key: str) -> JournalEntry | None:
        row = self._one(f"SELECT {QUARANTINE_COLUMNS} FROM journal_quarantine WHERE key = %(key)s", key=key)
        return self.answer(key) if row is None else quarantine_entry(row)

    def counts(self) -> dict[str, int]:
        row = self._one(
            "SELECT (SELECT COUNT(*) FROM journal_requests), (SELECT COUNT(*) FROM journal_quarantine)"
        )
        return {k: int(v) for k, v in (("answered", row[0]), ("quarantined", row[1])) if v}

    def totals(self) -> dict[str, Any]:
        row = self._one(TOTALS.format(table="journal_requests"))
        reasons = self._all("SELECT reason, COUNT(*) FROM journal_quarantine GROUP BY reason")
        return totals_of(row, reasons)

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        answered = (
            [] if status == "quarantined" else self._all(ANSWERED_EXPORT.format(table="journal_requests"))
        )
        quarantined = (
            [] if status == "answered" else self._all(QUARANTINED_EXPORT.format(table="journal_quarantine"))
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
        model, template, sample, canonical = identity(request, request_json)
        self._write(
            RECORD_ANSWER,
            key=key,
            model=model,
            template=template,
            sample=sample,
            request=canonical,
            text=response_text,
            finish=finish_reason,
            prompt=prompt_tokens,
            completion=completion_tokens,
            cost=cost_usd,
            latency=latency_s,
            attempts=attempts,
            at=time.time(),
            estimated=int(usage_estimated),
        )
        self._quarantined.discard(key)

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
        model, template, sample, canonical = identity(request, request_json)
        self._write(
            RECORD_QUARANTINE,
            key=key,
            model=model,
            template=template,
            sample=sample,
            request=canonical,
            reason=reason,
            error=error,
            raw=raw_text,
            attempts=attempts,
            at=time.time(),
        )
        self._quarantined.add(key)

    def clear_quarantine(self, key: str) -> None:
        # not only this process's set: another worker may have quarantined it since
        self._write("DELETE FROM journal_quarantine WHERE key = %(key)s", key=key)
        self._quarantined.discard(key)

    # ---- leases ----------------------------------------------------------------------------
    def take_lease(self, key: str, owner: str) -> bool:
        if self._one(TAKE_LEASE, key=key, owner=owner, ttl=self.lease_s) is not None:
            return True
        holder = self._one("SELECT owner FROM journal_leases WHERE key = %(key)s", key=key)
        if holder is None or not owner_gone(holder[0]):
            return False
        return bool(
            self._write(
                f"UPDATE journal_leases SET owner = %(owner)s, expires_at = {NOW} + %(ttl)s"
                " WHERE key = %(key)s AND owner = %(gone)s",
                key=key,
                owner=owner,
                ttl=self.lease_s,
                gone=holder[0],
            )
        )

    def renew_leases(self, owner: str) -> None:
        self._write(
            f"UPDATE journal_leases SET expires_at = {NOW} + %(ttl)s WHERE owner = %(owner)s",
            owner=owner,
            ttl=self.lease_s,
        )

    def release_lease(self, key: str, owner: str) -> None:
        self._write(
            "DELETE FROM journal_leases WHERE key = %(key)s AND owner = %(owner)s", key=key, owner=owner
        )

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> PostgresJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
