"""One attempt on the wire: the SDK call's arguments, reading a completion, the retry delay, and
what an attempt comes back with."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, NamedTuple

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


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None
    usage: Usage | None  # None: the server did not say (the client estimates it)


def usage_of(value: Any) -> Usage | None:
    """`usage` as an SDK object or a JSON mapping; None when absent or all zero (some servers
    send zeros rather than leave usage out)."""
    if value is None:
        return None

    def read(name: str) -> Any:
        return value.get(name) if isinstance(value, dict) else getattr(value, name, None)

    try:
        prompt, completion = int(read("prompt_tokens") or 0), int(read("completion_tokens") or 0)
    except (TypeError, ValueError):
        return None
    return Usage(prompt, completion) if prompt or completion else None


def billed_usage(exc: BaseException) -> Usage | None:
    """What a failed attempt was billed, when the server said so: `usage` beside the error in
    an error body (top level or inside `error`), or in a 200 body that was no usable answer."""
    if isinstance(exc, MalformedResponse):
        return exc.usage if isinstance(exc.usage, Usage) else None
    # the SDK keeps only the `error` object as `body`: the whole body is the response's text
    bodies = [getattr(exc, "body", None)]
    response = getattr(exc, "response", None)
    try:
        bodies.append(json.loads(response.text) if response is not None else None)
    except (ValueError, AttributeError, RuntimeError):  # not JSON, or a body never read
        pass
    for body in bodies:
        if not isinstance(body, dict):
            continue
        error = body.get("error")
        found = usage_of(body.get("usage")) or (
            usage_of(error.get("usage")) if isinstance(error, dict) else None
        )
        if found is not None:
            return found
    return None


def read_completion(response: Any) -> Completion:
    """Text, finish reason and usage; MalformedResponse (with the usage, when the server billed
    it) for a 200 that is no chat completion."""
    usage = usage_of(getattr(response, "usage", None))
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise MalformedResponse(f"no choices in the response ({type(response).__name__})", usage=usage)
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str):
        raise MalformedResponse("the first choice has no text content", usage=usage)
    return Completion(content, getattr(choices[0], "finish_reason", None), usage)


class Wire(NamedTuple):
    """A request as sent (the SDK's arguments) and what admission reserves for it: computed
    once, for its turn and for its attempts."""

    args: dict[str, Any]
    cost_estimate: float
    token_estimate: int
