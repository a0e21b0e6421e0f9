"""What every journal backend offers (SQLite in `journal`, PostgreSQL in `journal_postgres`):
the `JournalStore` protocol, its entries, and the exported row and totals shapes both build from
the same SELECTs, so `seedforge llm journal export` reads alike whichever backend holds it.

Leases: before a worker sends a request it takes the request's key (`take_lease`); while the
lease is live nobody else sends it (they wait for its answer); an owner that dies stops renewing
and its lease expires after `lease_s` seconds, to be taken over. An owner names its machine and
process (`lease_owner`), so a lease whose owner died on this machine is taken over at once
(`owner_gone`): a build killed and started again does not wait for its own old leases."""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

DEFAULT_LEASE_S = 120.0


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
    updated_at: float | None = None  # when a quarantine entry was written (tells a new one)


class JournalStore(Protocol):
    """A request journal: answers committed on arrival, quarantine entries, leases."""

    lease_s: float  # a lease's life without renewal

    @property
    def location(self) -> str: ...  # where it is, fit to print (a URL's password masked)

    def answer(self, key: str) -> JournalEntry | None: ...
    def get(self, key: str) -> JournalEntry | None: ...
    def counts(self) -> dict[str, int]: ...
    def totals(self) -> dict[str, Any]: ...
    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]: ...

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
    ) -> None: ...

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
    ) -> None: ...

    def clear_quarantine(self, key: str) -> None: ...

    def take_lease(self, key: str, owner: str) -> bool:
        """True when `owner` holds the key now (taken: free, expired, its owner gone, or its
        own already)."""
        ...

    def renew_leases(self, owner: str) -> None:
        """Every lease `owner` holds lives another `lease_s`."""
        ...

    def release_lease(self, key: str, owner: str) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> JournalStore: ...
    def __exit__(self, *exc: object) -> None: ...


ANSWER_COLUMNS = (
    "key, status, response_text, finish_reason, prompt_tokens, completion_tokens,"
    " latency_s, attempts, error, cost_usd, usage_estimated"
)
QUARANTINE_COLUMNS = "key, raw_text, attempts, error, reason, updated_at"
ANSWERED_EXPORT = (
    "SELECT key, model, template_version, sample_index, request_json, response_text,"
    " finish_reason, prompt_tokens, completion_tokens, cost_usd, latency_s, attempts,"
    " updated_at, usage_estimated FROM {table} ORDER BY updated_at, key"
)
QUARANTINED_EXPORT = (
    "SELECT key, model, template_version, sample_index, request_json, reason, error,"
    " raw_text, attempts, updated_at FROM {table} ORDER BY updated_at, key"
)
TOTALS = (
    "SELECT COUNT(*), COALESCE(SUM(prompt_tokens), 0),"
    " COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost_usd), 0),"
    " COALESCE(SUM(CASE WHEN cost_usd IS NULL THEN prompt_tokens + completion_tokens END), 0),"
    " COALESCE(SUM(usage_estimated), 0)"
    " FROM {table}"
)


def answer_entry(row: Sequence[Any]) -> JournalEntry:
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


def quarantine_entry(row: Sequence[Any]) -> JournalEntry:
    key, raw, attempts, error, reason, at = row
    return JournalEntry(
        key, "quarantined", raw, None, 0, 0, None, attempts, error, 0.0, reason=reason, updated_at=at
    )


def totals_of(row: Sequence[Any], reasons: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {
        "answered": int(row[0]),
        "prompt_tokens": int(row[1]),
        "completion_tokens": int(row[2]),
        "cost_usd": round(float(row[3]), 6),
        "cost_known": row[4] == 0,
        "unpriced_tokens": int(row[4]),
        "usage_estimated": int(row[5]),
        "quarantined_by_reason": {reason: int(n) for reason, n in reasons},
    }


def exported_rows(
    answered: Sequence[Sequence[Any]], quarantined: Sequence[Sequence[Any]]
) -> Iterator[dict[str, Any]]:
    """The exported view: one dict per request, answered first, then quarantined."""
    for row in answered:
        key, model, template, sample, request, text, finish, prompt, completion, cost = row[:10]
        latency, attempts, at, estimated = row[10:]
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


def identity(request: dict[str, Any], request_json: str | None) -> tuple[str, str | None, int, str]:
    """model, template_version, sample_index and the canonical JSON: the columns every row keeps."""
    return (
        request.get("model", ""),
        request.get("template_version"),
        request.get("sample_index", 0),
        request_json or json.dumps(request, ensure_ascii=False, sort_keys=True),
    )


def lease_owner() -> str:
    """A new owner name: this machine, this process, and a random part (one per client)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


def owner_gone(owner: str) -> bool:
    """Whether `owner` was a process of this machine that no longer runs (a reused process id
    reads as alive: the lease then just waits for its expiry)."""
    host, _, rest = owner.partition("/")
    pid = rest.partition("/")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
