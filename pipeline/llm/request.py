"""One chat request, its journal key, and its result.

The key is a hash of everything that decides the answer: model, messages, sampling parameters,
prompt-template version, the sample index (so asking the same prompt again for variety is a
different request) and the structured-output schema and mode."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

if TYPE_CHECKING:
    from pipeline.llm.config import LLMConfig

ResultStatus = Literal["answered", "quarantined", "deferred"]
BUDGET_EXHAUSTED = "budget_exhausted"


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict[str, str]]
    template_version: str = "none"
    sample_index: int = 0
    json_schema: dict[str, Any] | None = None
    tag: str = ""  # caller's handle for the answer; not part of the key
    # validate the answer with this model (and ask for its schema unless json_schema is given)
    output_model: type[BaseModel] | None = field(default=None, compare=False)

    @property
    def schema(self) -> dict[str, Any] | None:
        if self.json_schema is not None:
            return self.json_schema
        return _model_schema(self.output_model) if self.output_model is not None else None

    def payload(self, config: LLMConfig, structured_mode: str = "none") -> dict[str, Any]:
        """Everything that decides the answer; its hash is the journal key."""
        payload = {
            "model": config.model,
            "messages": self.messages,
            "temperature": config.temperature,
            "top_p": config.top_p,
            "max_tokens": config.max_tokens,
            "seed": None if config.seed is None else config.seed + self.sample_index,
            "json_schema": self.schema,
            "template_version": self.template_version,
            "sample_index": self.sample_index,
        }
        if payload["json_schema"] is not None:
            payload["structured_mode"] = structured_mode
        return payload

    def with_messages(self, messages: list[dict[str, str]]) -> ChatRequest:
        return replace(self, messages=messages)


@lru_cache(maxsize=256)
def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def request_key(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """A request as the journal sees it: its payload, the payload's canonical JSON, its key."""

    request: ChatRequest
    payload: dict[str, Any]
    canonical: str
    key: str


def prepare(request: ChatRequest, config: LLMConfig, structured_mode: str) -> Prepared:
    payload = request.payload(config, structured_mode)
    canonical = canonical_json(payload)
    return Prepared(request, payload, canonical, hashlib.sha256(canonical.encode("utf-8")).hexdigest())


@dataclass
class ChatResult:
    request: ChatRequest
    key: str  # journal key of the request as asked (re-asks have keys of their own)
    text: str | None
    finish_reason: str | None = None
    from_journal: bool = False
    error: str | None = None
    reason: str | None = None  # stable code when not answered: http_503, schema_mismatch, ...
    parsed: Any = None  # the validated object for structured requests
    raw_text: str | None = None  # the last unusable answer of a quarantined structured request
    attempts: int = 0  # HTTP attempts made in this run for this request (re-asks included)
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def ok(self) -> bool:
        return self.text is not None

    @property
    def status(self) -> ResultStatus:
        if self.ok:
            return "answered"
        return "deferred" if self.reason == BUDGET_EXHAUSTED else "quarantined"
