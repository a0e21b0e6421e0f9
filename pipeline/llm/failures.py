"""What went wrong with one attempt, whether to try again, and how to say it without secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import openai

from pipeline.errors import EndpointError

# the request may succeed when sent again
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})
# the server says it is overloaded: fewer requests at once, or fewer per second
OVERLOAD_CAUSES = frozenset({"http_429", "http_503", "http_504", "http_529", "timeout"})
# every request would fail the same way: stop the run instead of quarantining them all
FATAL_STATUS = frozenset({401, 403, 404})

MEANING = {
    401: "the API key was refused: check OPENAI_API_KEY",
    403: "the API key may not use this model or endpoint",
    404: "unknown model or wrong URL: check --model and --base-url",
}

_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


class LLMEndpointError(EndpointError):
    """The endpoint refuses every request (bad key, unknown model, wrong URL): exit code 3."""


class EndpointRefused(Exception):
    """One endpoint of several refused an attempt (401/403/404) and was taken out for the run:
    the request is worth sending again, to another."""


class MalformedResponse(Exception):
    """HTTP 200 whose body is no usable chat completion; `usage` is what the server says it
    billed for it (a `pipeline.llm.wire.Usage`), if anything."""

    def __init__(self, message: str, *, usage: Any = None):
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Failure:
    cause: str  # stable code: http_429, timeout, connection, bad_response, http_400, ...
    message: str
    retryable: bool
    retry_after_s: float | None = None

    @property
    def overload(self) -> bool:
        return self.cause in OVERLOAD_CAUSES


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", _URL_CREDENTIALS.sub("***@", text))


def retry_after_s(exc: BaseException) -> float | None:
    """`retry-after-ms` (OpenAI's precise form) first, then `retry-after` in seconds."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = response.headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP date: rare from LLM servers, and the backoff covers it
        if 0 <= seconds <= 600:
            return seconds
    return None


def classify(exc: BaseException, secrets: tuple[str, ...] = ()) -> Failure:
    """Raises LLMEndpointError for errors every request would share."""
    message = redact(f"{type(exc).__name__}: {exc}", secrets)
    if isinstance(exc, (openai.APITimeoutError, TimeoutError)):
        return Failure("timeout", message, retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return Failure("connection", message, retryable=True)
    if isinstance(exc, EndpointRefused):
        return Failure("endpoint_refused", message, retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in FATAL_STATUS:
            raise LLMEndpointError(
                f"the endpoint refused the request with HTTP {status} ({MEANING[status]}): {message}"
            )
        return Failure(
            f"http_{status}", message, retryable=status in RETRYABLE_STATUS, retry_after_s=retry_after_s(exc)
        )
    if isinstance(exc, (MalformedResponse, ValueError, openai.APIResponseValidationError)):
        # garbage, truncated or wrongly shaped bodies: a proxy's hiccup is worth another try
        return Failure("bad_response", message, retryable=True)
    raise exc
