"""One attempt on the wire: the SDK call's arguments, reading a completion, the retry delay, and
what an attempt comes back with."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from pipeline.llm.config import LLMConfig
from pipeline.llm.failures import MalformedResponse
from pipeline.llm.request import ChatRequest
from pipeline.llm.structured import StructuredMode, response_format, with_schema_in_prompt


@dataclass(frozen=True)
class Answer:
    key: str
    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    from_journal: bool
    attempts: int


@dataclass(frozen=True)
class Unanswered:
    reason: str
    error: str
    attempts: int


def create_args(
    structured_mode: StructuredMode, request: ChatRequest, payload: dict[str, Any]
) -> dict[str, Any]:
    args: dict[str, Any] = {
        key: payload[key] for key in ("model", "messages", "temperature", "top_p", "max_tokens")
    }
    if payload["seed"] is not None:
        args["seed"] = payload["seed"]
    schema = payload["json_schema"]
    if schema is not None:
        name = request.output_model.__name__ if request.output_model is not None else "answer"
        fmt = response_format(structured_mode, schema, name)
        if fmt is None:
            args["messages"] = with_schema_in_prompt(payload["messages"], schema)
        else:
            args["response_format"] = fmt
    return args


def backoff_delay(config: LLMConfig, attempt: int, retry_after_s: float | None) -> float:
    """Exponential with jitter; never sooner than the server's Retry-After."""
    base, cap = config.backoff_base_s, config.backoff_max_s
    if retry_after_s is not None:
        return retry_after_s + random.uniform(0, base)
    delay: float = min(cap, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
    return delay


def read_completion(response: Any) -> tuple[str, str | None, int, int]:
    """Text, finish reason and usage; MalformedResponse for a 200 that is no chat completion."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse(f"no choices in the response ({type(response).__name__})")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str):
        raise MalformedResponse("the first choice has no text content")
    usage = getattr(response, "usage", None)
    prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
    completion_tokens = getattr(usage, "completion_tokens", 0) or 0
    return content, getattr(choices[0], "finish_reason", None), int(prompt_tokens), int(completion_tokens)
