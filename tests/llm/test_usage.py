"""Usage the server does not give is estimated and flagged, never a silent 0; a model with no
price costs "cost unknown", never $0; what a failed attempt was billed is counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.llm.budget import format_cost
from pipeline.llm.config import ModelPrice
from pipeline.llm.endpoint import run_requests
from pipeline.llm.journal import Journal
from pipeline.llm.metrics import stats_markdown
from pipeline.llm.step import LLMUsage
from pipeline.llm.tokens import prompt_tokens
from pipeline.stage import StageResult
from tests.support.fault_server import Action, FaultServer
from tests.support.llm_fixtures import FAST, ask, endpoint_for

PRICED = FAST.model_copy(
    update={"prices": {"m": ModelPrice(input_per_million=1e6, output_per_million=1e6)}}  # $1 a token
)
ANSWER = "Paris is the capital of France."


def completion(text: str | None, usage: dict[str, int] | None) -> bytes:
    body: dict[str, object] = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
    }
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body).encode()


def no_usage(text: str = ANSWER) -> Action:
    return Action(body=completion(text, None))


def test_an_answer_without_usage_is_estimated_and_flagged(tmp_path: Path) -> None:
    request = ask("What is the capital of France?")
    with FaultServer(default=no_usage()) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), PRICED, journal, [request])
        entry = journal.answer(results[0].key)
        totals = journal.totals()
        row = next(journal.rows())
    expected_prompt = prompt_tokens(request.messages)
    assert results[0].text == ANSWER
    assert stats.usage_estimated == 1 and stats.prompt_tokens == expected_prompt
    assert stats.completion_tokens == 8  # 31 characters at 4 a token, rounded up
    assert stats.cost_usd == pytest.approx(expected_prompt + 8)  # and priced like any usage
    assert entry is not None and entry.usage_estimated and entry.completion_tokens == 8
    assert totals["usage_estimated"] == 1 and row["usage_estimated"] is True
    usage = LLMUsage()
    usage.add_stats("ask", 1, stats)
    assert usage.as_dict()["usage_estimated"] == 1
    assert "answers without usage (tokens estimated) | 1 |" in stats_markdown(stats.as_dict())


def test_zero_usage_counts_as_missing(tmp_path: Path) -> None:
    zeros = Action(body=completion(ANSWER, {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}))
    with FaultServer(default=zeros) as server, Journal(tmp_path / "j.db") as journal:
        _, stats = run_requests(endpoint_for(server), FAST, journal, [ask("q")])
    assert stats.usage_estimated == 1 and stats.completion_tokens == 8


def test_a_token_budget_is_spent_by_answers_without_usage(tmp_path: Path) -> None:
    """Counted as 0, such answers would never exhaust a token budget."""
    capped = FAST.model_copy(update={"max_tokens": 8, "budget_tokens": 100})
    requests = [ask(f"question {i}") for i in range(20)]
    with FaultServer(default=no_usage()) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), capped, journal, requests)
    assert stats.budget_exhausted and 0 < sum(r.ok for r in results) < len(requests)
    assert stats.prompt_tokens + stats.completion_tokens <= 100


def test_an_unpriced_model_costs_unknown_never_zero(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:  # 3 + 2 tokens an answer
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("a"), ask("b")])
        entry = journal.answer(results[0].key)
        totals = journal.totals()
    assert stats.cost_usd == 0 and stats.unpriced_tokens == 10 and not stats.as_dict()["cost_known"]
    assert entry is not None and entry.cost_usd is None  # unknown in the journal, not 0
    assert totals["cost_known"] is False and totals["unpriced_tokens"] == 10
    assert "cost unknown" in stats_markdown(stats.as_dict()) and "$0.0000" not in stats_markdown(
        stats.as_dict()
    )
    usage = LLMUsage()
    usage.add_stats("ask", 2, stats)
    assert usage.as_dict()["cost_known"] is False and usage.cost_text().startswith("cost unknown")
    result: StageResult[str] = StageResult("demo", usage=usage)
    assert "cost unknown" in result.summary()


def test_cost_text() -> None:
    assert format_cost(0.0) == "$0.0000"  # nothing asked of a priced model
    assert format_cost(0.0123) == "$0.0123"
    assert format_cost(0.0, 1500) == "cost unknown (1,500 tokens of a model with no price in llm.prices)"
    assert format_cost(0.5, 20) == "$0.5000 + 20 unpriced tokens"


def test_the_build_report_says_cost_unknown() -> None:
    from pipeline.report.markdown import build_section

    llm = {
        "requests_sent": 2,
        "prompt_tokens": 3,
        "completion_tokens": 2,
        "cost_usd": 0,
        "unpriced_tokens": 5,
    }
    summary = {
        "build": "b",
        "generate": {"llm": llm, "seeds": 1, "requests": 2, "failures": {}, "candidates": 0},
        "dataset": {"name": "d", "path": None, "train": 0, "heldout": 0},
    }
    report = build_section(summary, [], with_plots=False)
    assert "| cost | cost unknown (5 tokens of a model with no price in llm.prices) |" in report


def test_a_failed_attempt_the_server_billed_is_counted(tmp_path: Path) -> None:
    billed_error = Action(
        status=500,
        body=json.dumps(
            {
                "error": {"message": "upstream died mid-answer"},
                "usage": {"prompt_tokens": 7, "completion_tokens": 4},
            }
        ).encode(),
    )
    script = [billed_error, Action(text="fine", usage=(3, 2))]
    with FaultServer(script) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), PRICED, journal, [ask("q")])
    assert results[0].text == "fine" and stats.retries == {"http_500": 1}
    assert stats.billed_failures == 1
    assert (stats.prompt_tokens, stats.completion_tokens) == (7 + 3, 4 + 2)
    assert stats.cost_usd == pytest.approx(16.0)  # $1 a token, the failed attempt's 11 included
    assert results[0].cost_usd == pytest.approx(5.0)  # the answer itself cost 5


def test_a_billed_answer_without_content_counts_toward_the_budget(tmp_path: Path) -> None:
    """A 200 with usage but no usable text (a refusal shaped as a tool call, say) was paid for."""
    empty = Action(body=completion(None, {"prompt_tokens": 30, "completion_tokens": 20}))
    capped = PRICED.model_copy(update={"max_tokens": 2, "budget_usd": 60.0, "max_attempts": 2})
    with FaultServer(default=empty) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), capped, journal, [ask(f"q{i}") for i in range(5)])
    assert stats.billed_failures >= 1 and stats.cost_usd == pytest.approx(50.0 * stats.billed_failures)
    assert stats.budget_exhausted  # what the failures were billed spent the budget
    assert all(not r.ok for r in results) and len(server.received) == stats.billed_failures
