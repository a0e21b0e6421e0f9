"""llm.mode: batch against a scripted server with the Files and Batches endpoints: a normal batch,
per-request errors retried in the next batch or quarantined, an expired batch (its completed part
kept, the rest submitted again), cancelled and failed batches, the batch price, an endpoint
without the Batch API, and a run killed with SIGKILL while polling (resumed: one batch in all)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.client import ChatRequest, ChatResult
from pipeline.llm.config import LLMConfig, ModelPrice
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.llm.metrics import LLMStats
from pipeline.llm.wire import create_args
from tests.support.batch_server import BatchServer, Outcome
from tests.support.fault_server import FaultServer
from tests.support.faults import Action, answer, echo_answer

REPO = Path(__file__).resolve().parents[2]


def prompts(n: int) -> list[ChatRequest]:
    return [ChatRequest(messages=[{"role": "user", "content": f"q{i}"}]) for i in range(n)]


def config(server: FaultServer, **overrides: Any) -> LLMConfig:
    values: dict[str, Any] = {
        "base_url": server.base_url,
        "model": "m",
        "mode": "batch",
        "batch_poll_s": 0.01,
        "max_tokens": 16,
    }
    return LLMConfig(**(values | overrides))


def run(
    server: FaultServer, journal: Journal, requests: list[ChatRequest], **overrides: Any
) -> tuple[list[ChatResult], LLMStats]:
    endpoint = Endpoint(server.base_url, "not-needed", "m", embedded=False)
    return run_requests(endpoint, config(server, **overrides), journal, requests)


def by_prompt(policy: dict[str, list[Action]]) -> Any:
    """A policy answering each prompt with its scripted actions in turn, then plain answers."""

    def decide(body: dict[str, Any]) -> Action:
        script = policy.get(body["messages"][-1]["content"])
        return script.pop(0) if script else answer()

    return decide


def test_a_batch_answers_every_request_and_a_rerun_sends_nothing(tmp_path: Path) -> None:
    requests = prompts(6)
    with BatchServer(polls_to_finish=3) as server, Journal(tmp_path / "j.sqlite") as journal:
        results, stats = run(server, journal, requests)
        assert server.batches_created == 1 and server.retrieves >= 3
        assert [r.status for r in results] == ["answered"] * 6
        lines = server.input_lines(next(iter(server.batches)))
        # custom_id is the journal key; the body is exactly what the online path would send
        assert sorted(line["custom_id"] for line in lines) == sorted(r.key for r in results)
        cfg = config(server)
        for result in results:
            line = next(line for line in lines if line["custom_id"] == result.key)
            assert line["url"] == "/v1/chat/completions" and line["method"] == "POST"
            expected = create_args("openai", result.request, result.request.payload(cfg, "openai"))
            assert line["body"] == expected
            assert result.text == echo_answer(line["body"])
        assert stats.sent == 6 and journal.counts() == {"answered": 6}
        again, again_stats = run(server, journal, requests)
        assert server.batches_created == 1 and again_stats.sent == 0 and again_stats.journal_hits == 6
        assert [r.text for r in again] == [r.text for r in results]


def test_failed_lines_are_retried_in_the_next_batch_or_quarantined(tmp_path: Path) -> None:
    policy = by_prompt(
        {"q1": [Action(status=500)], "q2": [Action(status=400)], "q3": [Action(status=503)] * 9}
    )
    with BatchServer(policy=policy) as server, Journal(tmp_path / "j.sqlite") as journal:
        results, stats = run(server, journal, prompts(4), max_attempts=3)
        status = {r.request.messages[0]["content"]: (r.status, r.reason) for r in results}
        assert status == {
            "q0": ("answered", None),
            "q1": ("answered", None),  # its 500 line went into the second batch
            "q2": ("quarantined", "http_400"),  # not retryable: quarantined at once
            "q3": ("quarantined", "http_503"),  # three attempts, three batches
        }
        assert server.batches_created == 3
        sizes = [len(server.input_lines(b)) for b in server.batches]
        assert sizes == [4, 2, 1]
        assert stats.retries == Counter({"http_500": 1, "http_503": 2})
        assert journal.counts() == {"answered": 2, "quarantined": 2}
        assert journal.get(results[3].key).reason == "http_503"  # type: ignore[union-attr]


def test_an_expired_batch_keeps_its_completed_part_and_resubmits_the_rest(tmp_path: Path) -> None:
    outcomes = [Outcome("expired", done=2)]
    with BatchServer(outcomes=outcomes) as server, Journal(tmp_path / "j.sqlite") as journal:
        results, stats = run(server, journal, prompts(5))
        assert all(r.ok for r in results)
        first, second = server.batches
        assert server.batches[first].status == "expired" and len(server.input_lines(first)) == 5
        assert len(server.input_lines(second)) == 3  # only what the expiry left unanswered
        resent = {line["custom_id"] for line in server.input_lines(second)}
        assert not resent & {line["custom_id"] for line in server.input_lines(first)[:2]}
        assert set(server.answered_counts().values()) == {1}  # nothing paid twice
        assert stats.retries == Counter({"batch_expired": 3})


def test_a_cancelled_batch_quarantines_the_rest_and_a_failed_one_stops_the_run(tmp_path: Path) -> None:
    with (
        BatchServer(outcomes=[Outcome("cancelled", done=1)]) as server,
        Journal(tmp_path / "j.sqlite") as journal,
    ):
        results, _ = run(server, journal, prompts(3))
        assert [r.reason for r in results].count("batch_cancelled") == 2 and sum(r.ok for r in results) == 1
    with BatchServer(outcomes=[Outcome("failed")]) as server, Journal(tmp_path / "k.sqlite") as journal:
        with pytest.raises(EndpointError, match=r"batch_\d+ .* failed: invalid_request: scripted failure"):
            run(server, journal, prompts(3))
        assert journal.counts() == {}


def test_costs_are_counted_at_the_batch_price(tmp_path: Path) -> None:
    online = ModelPrice(input_per_million=1.0, output_per_million=2.0)
    cheap = ModelPrice(input_per_million=1.0, output_per_million=2.0, batch_discount=0.25)
    usage = Action(usage=(300, 200))
    with BatchServer(default=usage) as server, Journal(tmp_path / "j.sqlite") as journal:
        _, stats = run(server, journal, prompts(4), prices={"m": online})
        per_request_online = (300 * 1.0 + 200 * 2.0) / 1e6
        assert stats.cost_usd == pytest.approx(4 * per_request_online * 0.5)
        assert journal.totals()["cost_usd"] == pytest.approx(4 * per_request_online * 0.5)
        _, stats = run(server, journal, prompts(8)[4:], prices={"m": cheap})
        assert stats.cost_usd == pytest.approx(4 * per_request_online * 0.25)
        assert stats.prompt_tokens == 4 * 300 and stats.completion_tokens == 4 * 200


def test_an_endpoint_without_the_batch_api_is_refused_before_any_request(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.sqlite") as journal:
        with pytest.raises(SeedforgeError) as caught:
            run(server, journal, prompts(3))
        message = str(caught.value)
        assert server.base_url in message and "llm.mode: online" in message
        assert server.received == [] and journal.counts() == {}


def test_a_run_killed_while_polling_resumes_the_same_batch(tmp_path: Path) -> None:
    n = 12
    journal, out = tmp_path / "j.sqlite", tmp_path / "out.jsonl"
    with BatchServer(hold=True) as server:
        command = [
            sys.executable,
            "-m",
            "tests.support.batch_worker",
            server.base_url,
            str(journal),
            str(out),
            str(n),
        ]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        worker = subprocess.Popen(command, cwd=REPO, env=env)
        try:
            deadline = time.monotonic() + 60
            while server.retrieves < 3 and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.02)
            assert server.batches_created == 1 and server.retrieves >= 3, "the worker never polled"
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
        assert not out.exists() and server.received == []  # killed mid-poll: nothing answered yet
        server.release()
        with Journal(journal) as opened:  # the same requests again, in this process
            results, stats = run(server, opened, prompts(n), batch_poll_s=0.02)
            assert opened.counts() == {"answered": n}
        assert server.batches_created == 1  # polled again, never submitted again
        assert all(r.ok for r in results) and stats.sent == 0  # every line came from the resumed batch
        assert len(server.received) == n and set(server.answered_counts().values()) == {1}
        keys = {line["custom_id"] for line in server.input_lines(next(iter(server.batches)))}
        assert {r.key for r in results} == keys


def test_a_live_clients_batch_of_other_requests_is_left_to_it(tmp_path: Path) -> None:
    from pipeline.llm.batch_store import BatchRecord, SQLiteBatchStore
    from pipeline.llm.journal_api import lease_owner

    with BatchServer() as server, Journal(tmp_path / "j.sqlite") as journal:
        store = SQLiteBatchStore(str(journal.path))
        # a parallel round's batch, still polled by its (live) client: never polled from here
        store.add(BatchRecord("batch_elsewhere", server.base_url, ("other-key",), lease_owner()))
        results, _ = run(server, journal, prompts(2))
        assert all(r.ok for r in results) and server.batches_created == 1
        assert [r.batch_id for r in store.open_batches(server.base_url)] == ["batch_elsewhere"]
        store.shut()


class RefusingUploads(BatchServer):
    def _batch_api(self, method: str, parts: list[str], headers: dict[str, str], raw: bytes) -> Any:
        if parts == ["files"] and method == "POST":
            return 500, {"error": {"message": "storage is down"}}
        return super()._batch_api(method, parts, headers, raw)


def test_a_refused_upload_stops_the_run_with_an_endpoint_error(tmp_path: Path) -> None:
    with RefusingUploads() as server, Journal(tmp_path / "j.sqlite") as journal:
        with pytest.raises(EndpointError, match="could not submit a batch of 3 requests.*storage is down"):
            run(server, journal, prompts(3), max_attempts=1)
        assert server.batches_created == 0 and journal.counts() == {}


class Named(BaseModel):
    name: str


def test_a_structured_answer_that_fails_validation_is_asked_again_in_the_next_batch(tmp_path: Path) -> None:
    def responder(body: dict[str, Any]) -> str:  # valid only once told what was wrong
        return json.dumps({"name": "ok"}) if len(body["messages"]) > 1 else "not json at all"

    requests = [
        ChatRequest(messages=[{"role": "user", "content": f"q{i}"}], output_model=Named) for i in range(3)
    ]
    with BatchServer(responder=responder) as server, Journal(tmp_path / "j.sqlite") as journal:
        results, stats = run(server, journal, requests)
        assert [r.parsed for r in results] == [Named(name="ok")] * 3 and stats.reasks == 3
        assert [len(server.input_lines(b)) for b in server.batches] == [3, 3]
        second = server.input_lines(list(server.batches)[1])
        assert all(line["body"]["response_format"]["type"] == "json_schema" for line in second)


def test_batch_mode_refuses_several_endpoints_and_the_embedded_server_up_front(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from pipeline.llm.endpoint import open_endpoint

    two = [{"base_url": "http://127.0.0.1:9/v1"}, {"base_url": "http://127.0.0.1:10/v1"}]
    for several in ({"endpoints": two}, {"replicas": 2}):
        with pytest.raises(ValidationError, match="llm.mode: batch sends every request to one endpoint"):
            LLMConfig(mode="batch", **several)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    started: list[object] = []
    monkeypatch.setattr("pipeline.llm.endpoint.EmbeddedServer", lambda **kw: started.append(kw))
    with (
        pytest.raises(SeedforgeError, match="the embedded server offers none"),
        open_endpoint(LLMConfig(mode="batch")),
    ):
        pytest.fail("opened")
    assert started == []
