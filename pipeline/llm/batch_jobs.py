"""One OpenAI Batch API batch through the SDK: checking the endpoint offers it, uploading the input
file, polling to a terminal state, and reading the output and error files back line by line.

Each input line is `{"custom_id": <journal key>, "method": "POST", "url": "/v1/chat/completions",
"body": <the chat-completions body the online path would send>}`; each output or error line
carries the same custom_id, so answers go back to their journal keys whatever the order."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion
from pydantic import ValidationError

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.failures import RETRYABLE_STATUS, Failure, MalformedResponse, redact
from pipeline.llm.wire import Completion, read_completion

log = logging.getLogger("pipeline.llm")

CHAT_PATH = "/v1/chat/completions"
TERMINAL = frozenset({"completed", "expired", "cancelled", "failed"})
# a poll that fails this many times in a row (server unreachable, 5xx) stops the run; the batch
# stays in the journal's batches table, so the next run polls it again
MAX_POLL_FAILURES = 20
# per-line error codes that say nothing about the request itself: send it again
RETRYABLE_CODES = frozenset({"batch_expired", "batch_cancelled", "server_error", "rate_limit_exceeded"})


@dataclass(frozen=True)
class LineResult:
    """One request's outcome in a batch: its completion, or why it has none."""

    completion: Completion | None
    failure: Failure | None = None


@dataclass
class Finished:
    batch_id: str
    status: str  # completed | expired | cancelled | failed
    lines: dict[str, LineResult] = field(default_factory=dict)  # by custom_id (journal key)
    errors: list[str] = field(default_factory=list)  # the batch's own errors (a failed batch)


def require_batch_api(base_url: str, api_key: str) -> None:
    """Raises SeedforgeError naming the endpoint when it has no /batches (before any request)."""
    try:
        with openai.OpenAI(base_url=base_url, api_key=api_key, timeout=10.0, max_retries=0) as client:
            client.batches.list(limit=1)
    except openai.APIConnectionError:
        raise EndpointError(f"cannot reach the endpoint {base_url} (Batch API check)", path="llm") from None
    except openai.APIStatusError as exc:
        if exc.status_code in (404, 405, 501):
            raise SeedforgeError(
                f"llm.mode is batch but the endpoint {base_url} offers no Batch API (GET /batches "
                f"answered {exc.status_code}); set llm.mode: online for this endpoint",
                path="llm.mode",
            ) from None
        raise EndpointError(
            f"the endpoint {base_url} refused the Batch API check (HTTP {exc.status_code})", path="llm.mode"
        ) from None


def input_jsonl(lines: list[tuple[str, dict[str, Any]]]) -> bytes:
    """The batch input file: one request per line, custom_id = its journal key."""
    return "".join(
        json.dumps({"custom_id": key, "method": "POST", "url": CHAT_PATH, "body": body}, ensure_ascii=False)
        + "\n"
        for key, body in lines
    ).encode("utf-8")


async def submit(
    client: AsyncOpenAI, lines: list[tuple[str, dict[str, Any]]], secrets: tuple[str, ...]
) -> str:
    """Upload the input file and create the batch; its id."""
    try:
        uploaded = await client.files.create(file=("batch-input.jsonl", input_jsonl(lines)), purpose="batch")
        batch = await client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    except openai.APIError as exc:
        raise EndpointError(
            f"could not submit a batch of {len(lines)} requests to {client.base_url}: "
            f"{redact(str(exc), secrets)[:300]}; no batch was recorded: run again to submit it",
            path="llm.mode",
        ) from None
    log.info("batch %s submitted: %d requests", batch.id, len(lines))
    return batch.id


async def wait(client: AsyncOpenAI, batch_id: str, poll_s: float, secrets: tuple[str, ...]) -> Finished:
    """Poll until the batch is in a terminal state, then read its output and error files."""
    failures = 0
    while True:
        try:
            batch = await client.batches.retrieve(batch_id)
            failures = 0
        except (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError) as exc:
            failures += 1
            if failures >= MAX_POLL_FAILURES:
                raise EndpointError(
                    f"batch {batch_id}: {failures} polls failed in a row ({redact(str(exc), secrets)}); "
                    "it stays recorded in the journal and the next run polls it again",
                    path="llm.mode",
                ) from None
            await asyncio.sleep(poll_s)
            continue
        if batch.status in TERMINAL:
            break
        await asyncio.sleep(poll_s)
    finished = Finished(batch_id, batch.status)
    if batch.errors is not None and batch.errors.data:
        finished.errors = [f"{e.code}: {e.message} (line {e.line})" for e in batch.errors.data]
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            content = await client.files.content(file_id)
            for raw in content.text.splitlines():
                if raw.strip():
                    key, line = read_line(json.loads(raw), secrets)
                    if key not in finished.lines or line.completion is not None:
                        finished.lines[key] = line
    log.info("batch %s %s: %d lines back", batch_id, batch.status, len(finished.lines))
    return finished


def read_line(obj: dict[str, Any], secrets: tuple[str, ...]) -> tuple[str, LineResult]:
    """(custom_id, outcome) of one output- or error-file line."""
    key = str(obj.get("custom_id"))
    response = obj.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if status == 200 and isinstance(body, dict):
        try:
            return key, LineResult(read_completion(ChatCompletion.model_validate(body)))
        except (ValidationError, MalformedResponse) as exc:
            return key, LineResult(None, Failure("bad_response", redact(str(exc), secrets)[:300], True))
    error = obj.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
    message = redact(str(error.get("message") or error or "no message"), secrets)[:300]
    if isinstance(status, int):
        return key, LineResult(None, Failure(f"http_{status}", message, status in RETRYABLE_STATUS))
    code = str(error.get("code") or "batch_error")
    return key, LineResult(None, Failure(code, message, code in RETRYABLE_CODES))


def missing(status: str) -> Failure:
    """Why a request of a finished batch has no line in either file."""
    if status == "expired":
        return Failure("batch_expired", "the batch expired before this request was processed", True)
    if status == "cancelled":
        return Failure("batch_cancelled", "the batch was cancelled before this request was processed", False)
    return Failure("batch_missing", f"the {status} batch returned no line for this request", True)
