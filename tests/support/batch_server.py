"""The fault server (tests/support/fault_server.py) with the OpenAI Files and Batches endpoints, for
the Batch API tests: `POST /v1/files` (multipart upload), `GET /v1/files/{id}/content`,
`POST /v1/batches`, `GET /v1/batches[/{id}]`, `POST /v1/batches/{id}/cancel`.

A batch stays `in_progress` for `polls_to_finish` retrieves (or, with `hold`, until `release()`),
then ends as the next scripted outcome says: `completed`, `expired` or `cancelled` (only the first
`done` lines processed), or `failed` (no line processed). Each processed line takes the fault
server's next `Action` as an online request would, so answers, per-line HTTP errors (into the
error file) and the recording of every request work as in the online tests."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.support.fault_server import FaultServer


@dataclass(frozen=True)
class Outcome:
    status: str = "completed"  # completed | expired | cancelled | failed
    done: int | None = None  # lines processed before an expiry or cancel (None: all)


@dataclass
class BatchJob:
    id: str
    input_file_id: str
    status: str = "validating"
    polls: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    created_at: int = field(default_factory=lambda: int(time.time()))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
            "input_file_id": self.input_file_id,
            "status": self.status,
            "created_at": self.created_at,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
        }


class BatchServer(FaultServer):
    def __init__(
        self,
        *args: Any,
        outcomes: list[Outcome] | None = None,
        polls_to_finish: int = 1,
        hold: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.outcomes: deque[Outcome] = deque(outcomes or [])
        self.polls_to_finish = polls_to_finish
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, BatchJob] = {}
        self.retrieves = 0
        self._ids = itertools.count(1)
        self._batch_lock = threading.Lock()  # the batch state (the fault server's own lock is its log's)
        self._hold = threading.Event()
        if not hold:
            self._hold.set()

    # ---- what tests read and do ------------------------------------------------------------
    @property
    def batches_created(self) -> int:
        return len(self.batches)

    def input_lines(self, batch_id: str) -> list[dict[str, Any]]:
        raw = self.files[self.batches[batch_id].input_file_id]
        return [json.loads(line) for line in raw.decode().splitlines() if line.strip()]

    def release(self) -> None:
        """Let held batches finish (at their next retrieve)."""
        self._hold.set()

    # ---- HTTP ------------------------------------------------------------------------------
    async def _route(self, method: str, path: str, headers: dict[str, str], raw: bytes, writer: Any) -> bool:
        path = path.split("?", 1)[0]
        parts = path.strip("/").split("/")[1:]  # after "v1"
        if not parts or parts[0] not in ("files", "batches"):
            return await super()._route(method, path, headers, raw, writer)
        with self._batch_lock:
            status, payload = self._batch_api(method, parts, headers, raw)
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        await self._send(writer, status, body, {})
        return True

    def _batch_api(
        self, method: str, parts: list[str], headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, Any] | bytes]:
        if parts == ["files"] and method == "POST":
            file_id = f"file-{next(self._ids)}"
            self.files[file_id] = multipart_file(headers.get("content-type", ""), raw)
            return 200, {
                "id": file_id,
                "object": "file",
                "bytes": len(self.files[file_id]),
                "created_at": int(time.time()),
                "filename": "input.jsonl",
                "purpose": "batch",
                "status": "processed",
            }
        if len(parts) == 3 and parts[0] == "files" and parts[2] == "content" and parts[1] in self.files:
            return 200, self.files[parts[1]]
        if parts == ["batches"] and method == "POST":
            request = json.loads(raw)
            job = BatchJob(f"batch_{next(self._ids)}", request["input_file_id"])
            self.batches[job.id] = job
            return 200, job.as_json()
        if parts == ["batches"]:
            return 200, {
                "object": "list",
                "data": [j.as_json() for j in self.batches.values()],
                "has_more": False,
            }
        job = self.batches.get(parts[1]) if len(parts) >= 2 else None
        if job is None:
            return 404, {"error": {"message": "no such batch or file"}}
        if len(parts) == 3 and parts[2] == "cancel":
            self._finish(job, Outcome("cancelled", 0))
            return 200, job.as_json()
        self.retrieves += 1
        job.polls += 1
        if job.status not in ("completed", "expired", "cancelled", "failed"):
            job.status = "in_progress"
            if job.polls >= self.polls_to_finish and self._hold.is_set():
                self._finish(job, self.outcomes.popleft() if self.outcomes else Outcome())
        return 200, job.as_json()

    def _finish(self, job: BatchJob, outcome: Outcome) -> None:
        job.status = outcome.status
        if outcome.status == "failed":
            job.errors = [{"code": "invalid_request", "message": "scripted failure", "line": 1}]
            return
        lines = self.input_lines(job.id)
        done = len(lines) if outcome.done is None else outcome.done
        output, errors = [], []
        for line in lines[:done]:
            body = line["body"]
            action = self._decide(body, "")
            reply = json.loads(self._completion(body, action, ""))
            response = {"status_code": action.status, "request_id": f"req-{next(self._ids)}", "body": reply}
            (output if action.status == 200 else errors).append(
                {
                    "id": f"resp-{next(self._ids)}",
                    "custom_id": line["custom_id"],
                    "response": response,
                    "error": None,
                }
            )
        if outcome.status == "expired":  # OpenAI lists the unprocessed requests in the error file
            for line in lines[done:]:
                error = {
                    "code": "batch_expired",
                    "message": "This request could not be executed before the expiry.",
                }
                errors.append(
                    {
                        "id": f"resp-{next(self._ids)}",
                        "custom_id": line["custom_id"],
                        "response": None,
                        "error": error,
                    }
                )
        for kind, rows in (("output_file_id", output), ("error_file_id", errors)):
            if rows:
                file_id = f"file-{next(self._ids)}"
                self.files[file_id] = "".join(json.dumps(r) + "\n" for r in rows).encode()
                setattr(job, kind, file_id)


def multipart_file(content_type: str, raw: bytes) -> bytes:
    """The `file` part of a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    for part in raw.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return content[:-2] if content.endswith(b"\r\n") else content
    raise ValueError("no file part in the upload")
