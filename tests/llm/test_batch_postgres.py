"""llm.mode: batch with the journal on a real PostgreSQL server: the batch a dead worker left in
flight is found in `journal_batches` and polled, not submitted again (counted at the server)."""

from __future__ import annotations

import socket
import subprocess
import uuid

import pytest
from openai import OpenAI

from pipeline.llm.batch_jobs import input_jsonl
from pipeline.llm.batch_store import BatchRecord, PostgresBatchStore
from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal_location import open_journal
from pipeline.llm.request import prepare
from pipeline.llm.wire import create_args
from tests.support.batch_server import BatchServer

pytestmark = pytest.mark.slow


def test_a_dead_workers_batch_is_polled_from_the_postgres_journal(postgres_url: str) -> None:
    run_id = uuid.uuid4().hex[:8]  # the database is shared by the session's tests
    requests = [ChatRequest(messages=[{"role": "user", "content": f"{run_id} q{i}"}]) for i in range(5)]
    with BatchServer() as server, open_journal(postgres_url) as journal:
        config = LLMConfig(base_url=server.base_url, model="m", mode="batch", batch_poll_s=0.01)
        prepared = [prepare(r, config, "openai") for r in requests]
        # what a worker killed right after submitting left behind: the batch, and its row
        client = OpenAI(base_url=server.base_url, api_key="not-needed")
        lines = [(p.key, create_args("openai", p.request, p.payload)) for p in prepared]
        upload = client.files.create(file=("in.jsonl", input_jsonl(lines)), purpose="batch")
        batch = client.batches.create(
            input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        dead = subprocess.Popen(["true"])
        dead.wait()
        store = PostgresBatchStore(journal._engine)  # type: ignore[attr-defined]
        store.add(
            BatchRecord(
                batch.id,
                server.base_url,
                tuple(p.key for p in prepared),
                f"{socket.gethostname()}/{dead.pid}/x",
            )
        )

        endpoint = Endpoint(server.base_url, "not-needed", "m", embedded=False)
        results, stats = run_requests(endpoint, config, journal, requests)
        assert all(r.ok for r in results) and stats.sent == 0
        assert server.batches_created == 1 and len(server.received) == 5
        assert batch.id not in [r.batch_id for r in store.open_batches(server.base_url)]
        assert all(journal.answer(p.key) is not None for p in prepared)
