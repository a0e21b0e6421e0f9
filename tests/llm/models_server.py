"""A scripted OpenAI-compatible `/models` endpoint on 127.0.0.1 for the discovery tests: it
lists the models it is given (or answers a fixed status), and counts what it was asked."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ModelsServer:
    def __init__(self, models: list[str], *, status: int = 200, owned_by: str = "openai"):
        self.models, self.status, self.owned_by = models, status, owned_by
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                if not self.path.endswith("/models"):
                    self._answer(404, {"error": {"message": "not found"}})
                elif server.status != 200:
                    self._answer(server.status, {"error": {"message": f"scripted {server.status}"}})
                else:
                    data = [{"id": m, "object": "model", "owned_by": server.owned_by} for m in server.models]
                    self._answer(200, {"object": "list", "data": data})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ModelsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
