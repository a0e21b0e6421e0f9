"""A tiny OpenAI-compatible chat server for dialogue tests: it answers each turn request from
the prompt itself (a patient message from the listed symptoms, a doctor reply from the
<kb_entry> block), so tests can script grounded and ungrounded answers deterministically."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[str, dict[str, Any]], str]  # (schema field, request body) -> its text


def schema_of(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema a request asks for, in llama.cpp's form or OpenAI's."""
    response_format = body.get("response_format") or {}
    return response_format.get("schema") or (response_format.get("json_schema") or {}).get("schema") or {}


def entry_fields(body: dict[str, Any]) -> dict[str, str]:
    """`field: value` lines of the <kb_entry> block in the last user message."""
    content = body["messages"][-1]["content"]
    match = re.search(r"<kb_entry>\n(.*?)\n</kb_entry>", content, re.DOTALL)
    if not match:
        return {}
    return dict(line.split(": ", 1) for line in match.group(1).splitlines() if ": " in line)


def grounded_answer(key: str, body: dict[str, Any]) -> str:
    """A well-behaved model: the listed symptoms, then the entry's condition, tests and drugs.
    Mostly entry words, little boilerplate: dialogues of different entries are not near
    duplicates of each other."""
    if key == "safety_note":
        return "Urgent care if worse."
    if key in ("patient_message", "customer_message", "user_question"):
        asked = body["messages"][-1]["content"].splitlines()[0].split(": ", 1)[-1]
        return f"Doctor, {asked}?"
    fields = entry_fields(body)
    name = fields.get("condition") or fields.get("title") or "it"
    tests, drugs = fields.get("tests", "an examination"), fields.get("medications", "rest")
    return f"Likely {name}: {fields.get('causes', '')}. Tests: {tests}. Take {drugs}."


class KBChatServer:
    def __init__(self, responder: Responder = grounded_answer):
        self.responder = responder
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # /v1/models, for clients that probe it
                self._send({"object": "list", "data": [{"id": "scripted", "object": "model"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with server._lock:
                    server.received.append(body)
                keys = list(schema_of(body).get("properties", {})) or ["text"]
                answer = {key: server.responder(key, body) for key in keys}
                self._send({
                    "id": "x", "object": "chat.completion", "created": 0, "model": body.get("model", "m"),
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {
                        "role": "assistant", "content": json.dumps(answer)}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                })

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self) -> "KBChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
