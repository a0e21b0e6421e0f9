"""What the fault server does with one request: answer, fail, hang, trickle, or send garbage.

Named constructors cover each fault of the matrix; `FaultMix` draws them at given rates."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Action:
    status: int = 200
    text: str | None = None  # the answer's content; None: the server's responder decides
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the status line: past the client's timeout it is a hang
    body: bytes | None = None  # sent instead of a chat completion (garbage, wrong shape)
    truncate: bool = False  # announce the whole length, send half, close the connection
    chunk_delay_s: float = 0.0  # slow stream: the body (or SSE events) trickles with this pause
    drop: bool = False  # close the connection without answering
    finish_reason: str = "stop"
    usage: tuple[int, int] = (3, 2)  # prompt, completion tokens

    @property
    def answers(self) -> bool:
        """Whether the client gets a usable chat completion (slow or not)."""
        return self.status == 200 and self.body is None and not self.truncate and not self.drop


Policy = Callable[[dict[str, Any]], Action]


def answer(text: str | None = None, **kw: Any) -> Action:
    return Action(text=text, **kw)


def rate_limited(retry_after_s: float | None = 0.05) -> Action:
    headers = (
        {}
        if retry_after_s is None
        else {
            "retry-after": str(max(1, round(retry_after_s))),
            "retry-after-ms": str(int(retry_after_s * 1000)),
        }
    )
    return Action(status=429, headers=headers)


def server_error(status: int = 500) -> Action:
    return Action(status=status)


def hang(seconds: float) -> Action:
    """No answer at all: the connection closes after `seconds` (set it past the timeout)."""
    return Action(delay_s=seconds, drop=True)


def garbage() -> Action:
    return Action(body=b"<html>502 Bad Gateway</html>\x00\xff not json {")


def truncated() -> Action:
    return Action(truncate=True)


def wrong_shape() -> Action:
    """Valid JSON with HTTP 200 that is no chat completion (a proxy's or a broken server's)."""
    return Action(body=json.dumps({"object": "chat.completion", "choices": []}).encode())


def slow_stream(chunk_delay_s: float) -> Action:
    return Action(chunk_delay_s=chunk_delay_s)


def dropped() -> Action:
    return Action(drop=True)


def request_identity(body: dict[str, Any]) -> str:
    """Equal for two requests the client meant to be the same (the same journal key)."""
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def echo_answer(body: dict[str, Any]) -> str:
    """A deterministic answer per request, so two runs can be compared record by record."""
    return f"answer-{request_identity({'m': body.get('messages'), 's': body.get('seed')})[:16]}"


@dataclass
class FaultMix:
    """Draws a fault per request at the given rates (seeded); the rest are answered."""

    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_hang: float = 0.0
    rate_garbage: float = 0.0
    hang_s: float = 2.0
    retry_after_s: float = 0.05
    seed: int = 0
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self, body: dict[str, Any]) -> Action:
        with self._lock:
            draw = self._rng.random()
            garbage_kind = self._rng.choice((garbage, truncated, wrong_shape))
        for rate, make in (
            (self.rate_429, lambda: rate_limited(self.retry_after_s)),
            (self.rate_500, server_error),
            (self.rate_hang, lambda: hang(self.hang_s)),
            (self.rate_garbage, garbage_kind),
        ):
            if draw < rate:
                return make()
            draw -= rate
        return answer()
