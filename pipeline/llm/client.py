"""Chat completions through the OpenAI SDK, journaled, retried, and bounded in concurrency."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

import openai
from openai import AsyncOpenAI

from pipeline.config import LLMConfig
from pipeline.llm.journal import Journal

RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    template_version: str = "none"
    sample_index: int = 0
    json_schema: dict[str, Any] | None = None
    tag: str = ""  # caller's handle for the answer; not part of the key

    def payload(self, config: LLMConfig) -> dict[str, Any]:
        """Everything that decides the answer; its hash is the journal key."""
        return {
            "model": config.model,
            "messages": self.messages,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "max_tokens": config.max_tokens,
            "seed": None if config.seed is None else config.seed + self.sample_index,
            "json_schema": self.json_schema,
            "template_version": self.template_version,
            "sample_index": self.sample_index,
        }


def request_key(payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class ChatResult:
    request: ChatRequest
    key: str
    text: str | None
    finish_reason: str | None = None
    from_journal: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.text is not None


@dataclass
class LLMStats:
    sent: int = 0
    journal_hits: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latencies: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(q: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else None

        return {
            "requests_sent": self.sent,
            "journal_hits": self.journal_hits,
            "retries": dict(self.retries),
            "quarantined": self.quarantined,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_p50_s": pct(0.5),
            "latency_p95_s": pct(0.95),
        }


def _retry_cause(exc: Exception) -> str | None:
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection"
    if isinstance(exc, openai.APIStatusError) and exc.status_code in RETRYABLE_STATUS:
        return f"http_{exc.status_code}"
    return None


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class LLMClient:
    """Create inside the event loop that uses it: an AsyncOpenAI client is bound to one loop."""

    def __init__(self, config: LLMConfig, base_url: str, api_key: str, journal: Journal):
        self.config = config
        self.journal = journal
        self.stats = LLMStats()
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=config.timeout_s
        )
        self._slots = asyncio.Semaphore(config.concurrency)

    async def complete(self, request: ChatRequest) -> ChatResult:
        payload = request.payload(self.config)
        key = request_key(payload)
        entry = self.journal.get(key)
        if entry is not None and entry.status == "answered":
            self.stats.journal_hits += 1
            return ChatResult(request, key, entry.response_text, entry.finish_reason, from_journal=True)
        last_error = "no attempt made"
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                async with self._slots:
                    started = time.monotonic()
                    self.stats.sent += 1
                    response = await self._client.chat.completions.create(**self._create_args(request, payload))
                    latency = time.monotonic() - started
            except Exception as exc:  # noqa: BLE001 — classified below, unknown errors re-raised
                cause = _retry_cause(exc)
                if cause is None:
                    raise
                last_error = f"{cause}: {exc}"
                self.stats.retries[cause] += 1
                if attempt < self.config.max_attempts:
                    await asyncio.sleep(self._backoff(attempt, _retry_after(exc)))
                continue
            return self._answered(request, key, payload, response, latency, attempt)
        self.stats.quarantined += 1
        self.journal.record_quarantine(key, payload, last_error, self.config.max_attempts)
        return ChatResult(request, key, None, error=last_error)

    def _create_args(self, request: ChatRequest, payload: dict[str, Any]) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": payload["model"],
            "messages": payload["messages"],
            "temperature": payload["temperature"],
            "top_p": payload["top_p"],
            "max_tokens": payload["max_tokens"],
        }
        if payload["seed"] is not None:
            args["seed"] = payload["seed"]
        if request.json_schema is not None:
            # llama.cpp's server constrains generation to this schema; OpenAI's "json_schema"
            # type is rejected there (design §4)
            args["response_format"] = {"type": "json_object", "schema": request.json_schema}
        return args

    def _answered(self, request: ChatRequest, key: str, payload: dict[str, Any],
                  response: Any, latency: float, attempts: int) -> ChatResult:
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        self.stats.prompt_tokens += prompt_tokens
        self.stats.completion_tokens += completion_tokens
        self.stats.latencies.append(latency)
        self.journal.record_answer(
            key, payload, text, finish_reason=choice.finish_reason, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens, latency_s=latency, attempts=attempts,
        )
        return ChatResult(request, key, text, choice.finish_reason)

    @staticmethod
    def _backoff(attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after + random.uniform(0, 0.25)
        return min(30.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)

    async def complete_all(self, requests: Iterable[ChatRequest]) -> list[ChatResult]:
        return list(await asyncio.gather(*(self.complete(r) for r in requests)))

    async def aclose(self) -> None:
        await self._client.close()
