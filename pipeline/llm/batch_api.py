"""`llm.mode: batch`: the client's requests go through the OpenAI Batch API instead of one HTTP
request each, with everything else of the online client kept (journal first, leases, coalescing,
structured output and re-asks, quarantine, accounting).

How: every request that reaches the wire (`_send`) is queued instead of sent. When the run has
nothing else to do (every unfinished request waits on the queue), the queue becomes one batch:
uploaded, recorded in the journal's batches table (`batch_store`), polled until it ends, and
its lines handed back to the waiting requests. Answers are journaled as online answers are;
failed lines are retried in the next batch (up to llm.max_attempts) or quarantined; re-asks of
structured answers go in the next batch too. A run started again after a kill first polls the
batches it left open, and uses their lines instead of submitting those requests again.

Costs are counted at the batch price (`ModelPrice.batch_discount` of the online price)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from pipeline.errors import EndpointError, SeedforgeError
from pipeline.llm.accounting import Accounting
from pipeline.llm.admission import Ticket
from pipeline.llm.batch_jobs import Finished, LineResult, missing, submit, wait
from pipeline.llm.batch_store import BatchRecord, batch_store_for
from pipeline.llm.budget import Budget, BudgetExhausted, Reservation
from pipeline.llm.client import LLMClient
from pipeline.llm.config import LLMConfig, ModelPrice
from pipeline.llm.control import ControlState
from pipeline.llm.failures import Failure, redact
from pipeline.llm.journal_api import JournalStore, owner_gone
from pipeline.llm.journal_lease import journaled
from pipeline.llm.request import BUDGET_EXHAUSTED, ChatRequest, ChatResult, Prepared, prepare
from pipeline.llm.router import Router
from pipeline.llm.structured import StructuredMode
from pipeline.llm.wire import Answer, Unanswered, Wire

log = logging.getLogger("pipeline.llm")

STABLE_TICKS = 3  # loop turns with nothing new queued: every live request waits on the queue
LEASE_WAIT_S = 0.5  # ... or this long: the others wait on leases held by another worker


def batch_prices(prices: dict[str, ModelPrice]) -> dict[str, ModelPrice]:
    """Each model's price as a batch request pays it."""
    return {
        model: ModelPrice(
            input_per_million=p.input_per_million * p.batch_discount,
            output_per_million=p.output_per_million * p.batch_discount,
            batch_discount=1.0,
        )
        for model, p in prices.items()
    }


class BatchClient(LLMClient):
    """An LLMClient whose wire is the Batch API; made by `run_requests` when llm.mode is batch."""

    def __init__(
        self,
        config: LLMConfig,
        base_url: str,
        api_key: str,
        journal: JournalStore,
        *,
        control: ControlState | None = None,
        budget: Budget | None = None,
        structured_mode: StructuredMode = "llama_cpp",
        router: Router | None = None,
    ):
        if router is not None:
            raise SeedforgeError(
                "llm.mode: batch sends every request to one endpoint; llm.endpoints lists several "
                "(keep one, or set llm.mode: online)",
                path="llm.endpoints",
            )
        super().__init__(
            config,
            base_url,
            api_key,
            journal,
            control=control,
            budget=budget,
            structured_mode=structured_mode,
        )
        reserve = budget is not None or config.tokens_per_minute is not None
        batch_config = config.model_copy(update={"prices": batch_prices(config.prices)})
        self.accounting = Accounting(batch_config, self.stats, reserve=reserve)
        self.base_url = base_url
        self.store = batch_store_for(journal)
        self.batch_ids: list[str] = []  # submitted or resumed by this client
        self._queue: dict[str, tuple[dict[str, Any], asyncio.Future[LineResult]]] = {}
        self._carried: dict[str, LineResult] = {}  # lines of batches a killed run left open

    # ---- the wire: queue a request for the next batch --------------------------------------
    async def _first_turn(self, wire: Wire) -> None:
        """Batch lines are not admitted one by one: the lease comes first."""
        return None

    async def _send(self, prepared: Prepared, wire: Wire, first: Ticket | None = None) -> Answer | Unanswered:
        key = prepared.key
        args, cost_estimate, token_estimate = wire
        failure = Failure("none", "no attempt made", retryable=False)
        for attempt in range(1, self.config.max_attempts + 1):
            reservation = None
            if self._budget is not None:
                try:
                    reservation = self._budget.reserve(cost_estimate, token_estimate)
                except BudgetExhausted:
                    self.stats.budget_exhausted = True
                    return Unanswered(
                        BUDGET_EXHAUSTED, "the budget cap was reached before sending", attempt - 1
                    )
            started = time.monotonic()
            line = self._carried.pop(key, None)
            if line is None:
                future: asyncio.Future[LineResult] = asyncio.get_running_loop().create_future()
                self._queue[key] = (args, future)
                line = await future
                self.stats.sent += 1
            if line.completion is None:
                assert line.failure is not None
                failure = line.failure
                self._settle(reservation, 0.0, 0)
                if not failure.retryable or attempt == self.config.max_attempts:
                    break
                self.stats.retries[failure.cause] += 1
                continue
            latency = time.monotonic() - started
            spend = self.accounting.answered(args["messages"], line.completion)
            self._settle(reservation, spend.cost_or_zero, spend.tokens)
            text = redact(line.completion.text, self._secrets)
            self.stats.latencies.append(latency)
            finish = line.completion.finish_reason
            return journaled(self.journal, prepared, text, finish, spend, latency, attempt)
        return Unanswered(failure.cause, f"{failure.cause}: {failure.message}", attempt)

    async def aclose(self) -> None:
        self.store.shut()
        await super().aclose()

    def _settle(self, reservation: Reservation | None, cost_usd: float, tokens: int) -> None:
        if self._budget is not None and reservation is not None:
            self._budget.settle(reservation, cost_usd, tokens)

    # ---- the run: batches until every request is settled ----------------------------------
    async def complete_all(self, requests: Iterable[ChatRequest]) -> list[ChatResult]:
        started = time.monotonic()
        try:
            requests = list(requests)
            await self._resume({prepare(r, self.config, self.structured_mode).key for r in requests})
            tasks = [asyncio.ensure_future(self.complete(r)) for r in requests]
            try:
                while not all(t.done() for t in tasks):
                    await self._until_idle(tasks)
                    if self._queue:
                        await self._flush()
                results = [t.result() for t in tasks]
            finally:
                for task in tasks:
                    task.cancel()
            for batch_id in self.batch_ids:  # every line is in the journal now
                self.store.close(batch_id, "settled")
            return results
        finally:
            self.stats.wall_s += time.monotonic() - started

    async def _until_idle(self, tasks: list[asyncio.Task[ChatResult]]) -> None:
        """Returns once every unfinished request waits on the queue (or a lease elsewhere), or
        every request is done."""
        last, stable, since = -1, 0, time.monotonic()
        while not all(t.done() for t in tasks):
            await asyncio.sleep(0 if stable < STABLE_TICKS else 0.01)
            queued = len(self._queue)
            if queued != last:
                last, stable, since = queued, 0, time.monotonic()
                continue
            stable += 1
            if queued and stable >= STABLE_TICKS and queued == len(self._in_progress):
                return
            if queued and time.monotonic() - since >= LEASE_WAIT_S:
                return

    async def _flush(self) -> None:
        """The queue as one batch: submitted, recorded, polled, its lines handed back."""
        queued, self._queue = self._queue, {}
        batch_id = await submit(
            self._client, [(key, args) for key, (args, _) in queued.items()], self._secrets
        )
        self.store.add(BatchRecord(batch_id, self.base_url, tuple(queued), self._leases.owner))
        self.batch_ids.append(batch_id)
        finished = await self._wait(batch_id)
        for key, (_, future) in queued.items():
            future.set_result(finished.lines.get(key) or LineResult(None, missing(finished.status)))

    async def _wait(self, batch_id: str) -> Finished:
        finished = await wait(self._client, batch_id, self.config.batch_poll_s, self._secrets)
        if finished.status == "failed":
            self.store.close(batch_id, "failed")
            raise EndpointError(
                f"batch {batch_id} at {self.base_url} failed: "
                + ("; ".join(finished.errors[:5]) or "the endpoint gave no reason"),
                path="llm.mode",
            )
        return finished

    async def _resume(self, keys: set[str]) -> None:
        """Poll the batches a killed run left open; their lines answer this run's requests.
        Another live client's batch (a stage's parallel round) is left to it unless it carries
        requests this run asks too (then waiting for it is what the leases would do anyway)."""
        for record in self.store.open_batches(self.base_url):
            if not (keys.intersection(record.keys) or owner_gone(record.owner)):
                continue
            log.info("resuming batch %s (%d requests)", record.batch_id, len(record.keys))
            finished = await wait(self._client, record.batch_id, self.config.batch_poll_s, self._secrets)
            if finished.status == "failed":
                self.store.close(record.batch_id, "failed")
                continue
            self.batch_ids.append(record.batch_id)
            for key in record.keys:
                line = finished.lines.get(key) or LineResult(None, missing(finished.status))
                if key not in self._carried or line.completion is not None:
                    self._carried[key] = line
