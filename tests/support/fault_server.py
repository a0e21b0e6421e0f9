"""A scriptable, fault-injecting OpenAI-compatible server on 127.0.0.1, for tests and benchmarks.

Each chat request takes the next scripted `Action` (then the policy's, then the default):
answers, HTTP errors with headers (429 + Retry-After), hangs, garbage or truncated bodies,
wrong shapes, slow streams. An optional rate limit of R requests/s, announced nowhere, answers
429 with Retry-After above it. Every request is recorded, so tests can prove nothing answered
was sent twice. Plain asyncio (HTTP/1.1 keep-alive) so it is cheap at high request rates.

Run standalone for another process: `python -m tests.support.fault_server --latency 0.02`;
`POST /admin/config {"rate_limit": R}` changes the limit, `GET /admin/stats` reports counts,
`GET /admin/log` lists [time, status] per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.support.faults import Action, Policy, echo_answer, request_identity

__all__ = ["Action", "FaultServer", "Received", "most_in_flight"]


@dataclass(frozen=True)
class Received:
    identity: str
    body: dict[str, Any]
    status: int
    answered: bool  # a usable chat completion was sent back
    at: float
    authorization: str


class SlidingWindowLimit:
    """At most `rate` admissions in any one-second window; says when the next slot frees."""

    def __init__(self, rate: float):
        self.rate = rate
        self._admitted: deque[float] = deque()

    def admit(self, now: float) -> float | None:
        """None when admitted, else the seconds until a slot frees."""
        while self._admitted and self._admitted[0] <= now - 1.0:
            self._admitted.popleft()
        if len(self._admitted) < max(1, math.floor(self.rate)):
            self._admitted.append(now)
            return None
        return self._admitted[0] + 1.0 - now


def most_in_flight(arrivals: list[float], latency_s: float) -> int:
    """The most requests a server with a fixed latency held at once, from their arrival times
    (each answered `latency_s` after it arrived)."""
    events = sorted([(t, 1) for t in arrivals] + [(t + latency_s, -1) for t in arrivals])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


class FaultServer:
    def __init__(
        self,
        script: list[Action] | None = None,
        default: Action | None = None,
        *,
        policy: Policy | None = None,
        responder: Callable[[dict[str, Any]], str] = echo_answer,
        latency_s: float = 0.0,
        rate_limit: float | None = None,
        serial: bool = False,
        echo_authorization: bool = False,
        port: int = 0,
    ):
        self.script: deque[Action] = deque(script or [])
        self.default = default or Action()
        self.policy = policy
        self.responder = responder
        self.latency_s = latency_s
        self.serial = serial  # answer one request at a time, as llama.cpp's server does
        self.busy_s = 0.0  # serial: the time spent answering, one request after another
        self.echo_authorization = echo_authorization  # a careless server repeating the key back
        self._one_at_a_time = asyncio.Lock() if serial else None  # binds to the loop on first use
        self.port = port
        self._limit = SlidingWindowLimit(rate_limit) if rate_limit else None
        self._received: list[Received] = []
        self.models_asked: list[float] = []  # when GET /models came (probes and model discovery)
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    # ---- what tests read -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def answered_counts(self) -> Counter[str]:
        """How often each distinct request got a usable answer."""
        return Counter(r.identity for r in self.received if r.answered)

    def status_counts(self) -> Counter[int]:
        return Counter(r.status for r in self.received)

    def set_rate_limit(self, rate: float | None) -> None:
        with self._lock:
            self._limit = SlidingWindowLimit(rate) if rate else None

    def stats(self) -> dict[str, Any]:
        answered = self.answered_counts()
        return {
            "received": len(self.received),
            "by_status": {str(k): v for k, v in sorted(self.status_counts().items())},
            "answered_twice": sum(1 for n in answered.values() if n > 1),
        }

    # ---- deciding ----------------------------------------------------------------------------
    def _decide(self, body: dict[str, Any], authorization: str) -> Action:
        with self._lock:
            retry_in = self._limit.admit(time.monotonic()) if self._limit else None
            if retry_in is not None:
                action = Action(
                    status=429,
                    headers={
                        "retry-after": str(max(1, math.ceil(retry_in))),
                        "retry-after-ms": str(max(1, int(retry_in * 1000))),
                    },
                )
            elif self.script:
                action = self.script.popleft()
            else:
                action = self.policy(body) if self.policy else self.default
            self._received.append(
                Received(
                    request_identity(body), body, action.status, action.answers, time.time(), authorization
                )
            )
        return action

    def _completion(self, body: dict[str, Any], action: Action, authorization: str) -> bytes:
        echo = f" ({authorization})" if self.echo_authorization else ""
        if action.body is not None:
            return action.body + echo.encode()
        if action.status != 200:
            return json.dumps(
                {
                    "error": {
                        "message": f"scripted {action.status}{echo}",
                        "type": "fault",
                        "code": action.status,
                    }
                }
            ).encode()
        text = (action.text if action.text is not None else self.responder(body)) + echo
        prompt, completion = action.usage
        return json.dumps(
            {
                "id": "chatcmpl-fault",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "m"),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": action.finish_reason,
                        "message": {"role": "assistant", "content": text},
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        ).encode()

    def _sse_events(self, body: dict[str, Any], action: Action) -> list[bytes]:
        text = action.text if action.text is not None else self.responder(body)
        words = text.split(" ")
        events = []
        for n, word in enumerate(words):
            piece = word if n == 0 else " " + word
            last = n == len(words) - 1
            events.append(
                json.dumps(
                    {
                        "id": "chatcmpl-fault",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model", "m"),
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"content": piece},
                                "finish_reason": action.finish_reason if last else None,
                            }
                        ],
                    }
                ).encode()
            )
        return [b"data: " + e + b"\n\n" for e in events] + [b"data: [DONE]\n\n"]

    # ---- HTTP ------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)
                }
                raw = await reader.readexactly(int(headers.get("content-length", "0")))
                if not await self._route(method, path, headers, raw, writer):
                    break
        except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, ValueError):
            pass  # the client went away, or the server is stopping
        finally:
            writer.close()

    async def _route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False closes the connection."""
        if path.endswith("/chat/completions") and method == "POST":
            return await self._chat(json.loads(raw or b"{}"), headers.get("authorization", ""), writer)
        if path.endswith("/models"):
            self.models_asked.append(time.monotonic())
            payload = {"object": "list", "data": [{"id": "m", "object": "model"}]}
        elif path == "/admin/stats":
            payload = self.stats()
        elif path == "/admin/log":
            payload = [[r.at, r.status] for r in self.received]
        elif path == "/admin/config" and method == "POST":
            self.set_rate_limit(json.loads(raw or b"{}").get("rate_limit"))
            payload = {"ok": True}
        else:
            await self._send(writer, 404, b'{"error": {"message": "not found"}}', {})
            return True
        await self._send(writer, 200, json.dumps(payload).encode(), {})
        return True

    async def _chat(self, body: dict[str, Any], authorization: str, writer: asyncio.StreamWriter) -> bool:
        action = self._decide(body, authorization)
        if action.delay_s:
            await asyncio.sleep(action.delay_s)
        if self.latency_s and action.status == 200:
            if self._one_at_a_time is not None:
                async with self._one_at_a_time:
                    began = time.monotonic()
                    await asyncio.sleep(self.latency_s)
                    self.busy_s += time.monotonic() - began
            else:
                await asyncio.sleep(self.latency_s)
        if action.drop:
            return False
        if body.get("stream") and action.status == 200 and action.body is None:
            await self._send_stream(writer, self._sse_events(body, action), action)
            return True
        payload = self._completion(body, action, authorization)
        if action.truncate:
            await self._send(
                writer, action.status, payload[: len(payload) // 2], action.headers, length=len(payload)
            )
            return False
        await self._send(writer, action.status, payload, action.headers, chunk_delay_s=action.chunk_delay_s)
        return True

    @staticmethod
    async def _send(
        writer: asyncio.StreamWriter,
        status: int,
        payload: bytes,
        headers: dict[str, str],
        *,
        length: int | None = None,
        chunk_delay_s: float = 0.0,
    ) -> None:
        head = [
            f"HTTP/1.1 {status} X",
            "content-type: application/json",
            f"content-length: {length if length is not None else len(payload)}",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if not chunk_delay_s:
            writer.write(payload)
        else:
            step = max(1, len(payload) // 8)
            for start in range(0, len(payload), step):
                writer.write(payload[start : start + step])
                await writer.drain()
                await asyncio.sleep(chunk_delay_s)
        await writer.drain()

    @staticmethod
    async def _send_stream(writer: asyncio.StreamWriter, events: list[bytes], action: Action) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        for event in events:
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            await writer.drain()
            if action.chunk_delay_s:
                await asyncio.sleep(action.chunk_delay_s)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> FaultServer:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=1024), self._loop
        )
        self._server = started.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:

            async def close(server: asyncio.AbstractServer) -> None:
                server.close()
                for task in asyncio.all_tasks():
                    if task is not asyncio.current_task():
                        task.cancel()

            asyncio.run_coroutine_threadsafe(close(self._server), self._loop).result(timeout=10)
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="fault-injecting OpenAI-compatible test server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s, unannounced")
    args = parser.parse_args()
    server = FaultServer(latency_s=args.latency, rate_limit=args.rate_limit, port=args.port).start()
    print(f"ready {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
