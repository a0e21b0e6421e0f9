"""Token and cost accounting, and the budget cap: stops cleanly, reports, resumes later."""

from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.llm.budget import Budget, BudgetExhausted, PriceTable
from pipeline.llm.config import LLMConfig, ModelPrice
from pipeline.llm.endpoint import run_requests
from pipeline.llm.journal import Journal
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import FAST, ask, endpoint_for

# one dollar a token makes the arithmetic visible: the fault server answers 3 + 2 tokens
PRICED = FAST.model_copy(
    update={"max_tokens": 2, "prices": {"m": ModelPrice(input_per_million=1e6, output_per_million=1e6)}}
)
REQUESTS = [ask(f"q{i}") for i in range(20)]


def test_price_table_costs_by_model() -> None:
    table = PriceTable({"gpt": ModelPrice(input_per_million=0.15, output_per_million=0.60)})
    assert table.cost("gpt", 1_000_000, 500_000) == pytest.approx(0.45)
    assert table.cost("local", 10**6, 10**6) is None  # no price: the cost is unknown, not $0


def test_budget_reserves_the_worst_case_and_settles_the_real_cost() -> None:
    budget = Budget(limit_usd=10.0)
    first = budget.reserve(6.0, 100)
    with pytest.raises(BudgetExhausted):
        budget.reserve(6.0, 100)  # 6 + 6 > 10 while the first is in flight
    assert budget.exhausted  # and it stays so: the run stops, it does not trickle on
    budget.settle(first, 2.5, 40)
    assert budget.as_dict()["spent_usd"] == 2.5 and budget.spent_tokens == 40
    with pytest.raises(BudgetExhausted):
        budget.reserve(0.1, 1)


def test_a_budget_needs_a_price_for_the_model() -> None:
    with pytest.raises(SeedforgeError, match="no price"):
        Budget.from_config(LLMConfig(budget_usd=1.0), "unpriced-model")
    assert Budget.from_config(LLMConfig(), "any") is None
    assert Budget.from_config(LLMConfig(budget_tokens=100), "any").limit_tokens == 100


def test_accounting_counts_tokens_and_cost(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), PRICED, journal, REQUESTS[:4])
        assert journal.totals()["cost_usd"] == pytest.approx(20.0)
        _, replay = run_requests(endpoint_for(server), PRICED, journal, REQUESTS[:4])
    assert stats.prompt_tokens == 12 and stats.completion_tokens == 8
    assert stats.cost_usd == pytest.approx(20.0) and all(r.cost_usd == 5.0 for r in results)
    assert replay.cost_usd == 0.0 and replay.replayed_cost_usd == pytest.approx(20.0)


def test_the_budget_stops_the_run_cleanly_and_a_later_run_resumes(tmp_path: Path) -> None:
    capped = PRICED.model_copy(update={"budget_usd": 40.0})
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        first, stats = run_requests(endpoint_for(server), capped, journal, REQUESTS)
        answered = [r for r in first if r.ok]
        deferred = [r for r in first if r.status == "deferred"]
        assert stats.budget_exhausted and stats.cost_usd <= 40.0
        assert len(answered) >= 4 and len(answered) + len(deferred) == len(REQUESTS)
        assert stats.deferred == len(deferred) and stats.quarantined == 0
        assert all(r.reason == "budget_exhausted" for r in deferred)
        assert journal.counts() == {"answered": len(answered)}  # deferred is not quarantined
        assert len(server.received) == len(answered)  # nothing was sent past the cap

        more = PRICED.model_copy(update={"budget_usd": 1000.0})
        resumed, stats = run_requests(endpoint_for(server), more, journal, REQUESTS)
        assert stats.journal_hits == len(answered) and stats.sent == len(deferred)
        assert max(server.answered_counts().values()) == 1
    with FaultServer() as fresh, Journal(tmp_path / "uninterrupted.db") as journal:
        uninterrupted, _ = run_requests(endpoint_for(fresh), PRICED, journal, REQUESTS)
    assert [r.text for r in resumed] == [r.text for r in uninterrupted]


def test_the_budget_holds_across_a_runs_batches(tmp_path: Path) -> None:
    capped = PRICED.model_copy(update={"budget_usd": 20.0})
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        endpoint = endpoint_for(server)  # one endpoint per run: its batches share the budget
        run_requests(endpoint, capped, journal, REQUESTS[:10])
        sent = len(server.received)
        later, stats = run_requests(endpoint, capped, journal, REQUESTS[10:])
    assert len(server.received) == sent and stats.deferred == 10 and stats.budget_exhausted
    assert endpoint.totals().cost_usd <= 20.0 and endpoint.run.budget.exhausted


def test_a_token_budget_works_without_prices(tmp_path: Path) -> None:
    capped = FAST.model_copy(update={"max_tokens": 2, "budget_tokens": 40})
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), capped, journal, REQUESTS)
    assert stats.budget_exhausted and stats.prompt_tokens + stats.completion_tokens <= 40
    assert 0 < sum(r.ok for r in results) < len(REQUESTS)
