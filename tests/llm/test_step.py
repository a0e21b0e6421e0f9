"""The LLM-step contract: the runner asks once per item, reads each answer through the step,
counts usage by step, and notices a spent budget; the stage result summarises itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from pipeline.llm.config import LLMConfig
from pipeline.llm.metrics import LLMStats
from pipeline.llm.request import BUDGET_EXHAUSTED, ChatRequest, ChatResult
from pipeline.llm.step import LLMUsage, Rejection, StepRunner, answer_json, unanswered
from pipeline.records import RejectedRecord
from pipeline.stage import StageResult


class NumberStep:
    """Asks for a number per word; an answer without one is rejected."""

    name = "number"
    max_reasks: int | None = 0

    def requests(self, items: Sequence[str]) -> list[ChatRequest]:
        return [ChatRequest(messages=[{"role": "user", "content": f"count {w}"}], tag=w) for w in items]

    def parse(self, item: str, answer: ChatResult) -> int | Rejection:
        if not answer.ok:
            return unanswered(answer)
        value = answer_json(answer)
        if not isinstance(value, dict) or not isinstance(value.get("n"), int):
            return Rejection("unparseable", {"text": answer.text})
        return int(value["n"])


def fake_run_requests(answers: dict[str, str | None], seen: list[Any]) -> Any:
    def run(endpoint: Any, config: LLMConfig, journal: Any, requests: list[ChatRequest]) -> Any:
        seen.append(config)
        stats = LLMStats(requests=len(requests), sent=len(requests), prompt_tokens=3 * len(requests))
        results = []
        for r in requests:
            text = answers[r.tag]
            reason = None if text is not None else ("http_503" if r.tag != "spent" else BUDGET_EXHAUSTED)
            if reason == "http_503":
                stats.quarantined_by_reason["http_503"] += 1
            results.append(ChatResult(r, f"key-{r.tag}", text, "stop", reason=reason))
        return results, stats

    return run


def test_runner_reads_every_answer_and_counts_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"one": '{"n": 1}', "two": 'Sure! {"n": 2}', "junk": "no idea", "down": None}
    seen: list[Any] = []
    monkeypatch.setattr("pipeline.llm.step.run_requests", fake_run_requests(answers, seen))
    progress: list[int] = []
    runner = StepRunner(None, LLMConfig(max_reasks=2), None, progress=lambda n, usage: progress.append(n))  # type: ignore[arg-type]
    output = runner.run(NumberStep(), ["one", "two", "junk", "down"])
    assert output.parsed == [("one", 1), ("two", 2)]
    assert [(item, r.reason) for item, r in output.rejected] == [
        ("junk", "unparseable"),
        ("down", "quarantined:http_503"),
    ]
    assert seen[0].max_reasks == 0  # the step's own re-ask setting wins
    assert runner.usage.requests == 4 and runner.usage.by_step == {"number": 4}
    assert runner.usage.prompt_tokens == 12 and runner.usage.quarantined == 1
    assert runner.stats.sent == 4 and progress == [4]
    assert not output.budget_exhausted


def test_runner_notices_a_spent_budget_and_empty_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.llm.step.run_requests", fake_run_requests({"spent": None}, []))
    runner = StepRunner(None, LLMConfig(), None)  # type: ignore[arg-type]
    assert runner.run(NumberStep(), []).parsed == []
    assert runner.run(NumberStep(), ["spent"]).budget_exhausted


def test_a_step_must_ask_once_per_item(monkeypatch: pytest.MonkeyPatch) -> None:
    class Greedy(NumberStep):
        def requests(self, items: Sequence[str]) -> list[ChatRequest]:
            return super().requests(items) * 2

    runner = StepRunner(None, LLMConfig(), None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 requests for 1 items"):
        runner.run(Greedy(), ["one"])


def test_usage_merges_and_the_stage_result_summarises() -> None:
    first, second = (
        LLMUsage(requests=2, by_step={"a": 2}),
        LLMUsage(requests=3, cost_usd=0.5, by_step={"a": 1}),
    )
    first.merge(second)
    assert first.as_dict()["requests"] == 5 and first.by_step == {"a": 3} and first.cost_usd == 0.5
    rejected = RejectedRecord(record={"instruction": "x"}, step="filters", reason="length", evidence={})
    result: StageResult[str] = StageResult("demo", kept=["a", "b"], rejected=[rejected], usage=first)
    result.stop_reason, result.seconds = "target_reached", 1.25
    line = result.summary()
    assert line.startswith("demo: 2 kept, 1 rejected (length 1); 5 requests")
    assert "stopped: target_reached" in line and line.endswith("1.2 s")
