"""Chat completions through the OpenAI SDK: journal first, adaptive admission, retries with
backoff, structured output with bounded re-asks, quarantine, and accounting.

A request's life: answered from the journal, or admitted (window, paced rate, caps, budget),
sent with a total deadline, and retried with exponential backoff and jitter (at least the
server's Retry-After) on 429, 5xx, connection errors, timeouts and garbage bodies; after the
last attempt it is quarantined with its last error — never dropped. Every answer is journaled
before it is used. A structured answer that fails validation is asked again with the error;
after the last re-ask the raw text is quarantined with a reason code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from openai import AsyncOpenAI

from pipeline.llm.accounting import Accounting
from pipeline.llm.admission import UNUSED, Admission, Outcome, Ticket
from pipeline.llm.budget import Budget, BudgetExhausted
from pipeline.llm.config import LLMConfig
from pipeline.llm.control import ControlState
from pipeline.llm.failures import Failure, classify, redact
from pipeline.llm.journal_api import JournalEntry, JournalStore
from pipeline.llm.journal_lease import Leases, journaled, replayed
from pipeline.llm.metrics import LLMStats
from pipeline.llm.request import BUDGET_EXHAUSTED, ChatRequest, ChatResult, Prepared, prepare, request_key
from pipeline.llm.router import Router
from pipeline.llm.structured import Checked, StructuredMode, check, reask_messages
from pipeline.llm.wire import (
    Answer,
    Unanswered,
    Wire,
    backoff_delay,
    billed_usage,
    create_args,
    read_completion,
)

__all__ = ["ChatRequest", "ChatResult", "LLMClient", "LLMStats", "request_key"]

log = logging.getLogger("pipeline.llm")


def _cancelling() -> bool:
    """Whether the running task itself is being cancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class LLMClient:
    """Create inside the event loop that uses it: an AsyncOpenAI client is bound to one loop."""

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
        self.config = config
        self.journal = journal
        self.stats = LLMStats()
        reserve = budget is not None or config.tokens_per_minute is not None
        self.accounting = Accounting(config, self.stats, reserve=reserve)
        self.structured_mode = structured_mode
        self.control = control or ControlState(config, time.monotonic())
        # several endpoints: the router admits each attempt on one of them and sends it there
        self.router = router
        self.admission: Admission | Router = router or Admission(self.control, budget, self.stats.timeline)
        self._budget = budget
        self._secrets = (api_key, *(router.secrets if router else ()))
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=config.timeout_s
        )
        self._in_progress: dict[str, asyncio.Future[Answer | Unanswered]] = {}
        self._leases = Leases(journal)  # other workers (processes, machines) never send it twice

    # ---- one request, end to end -----------------------------------------------------------
    async def complete(self, request: ChatRequest) -> ChatResult:
        self.stats.requests += 1
        schema = request.schema
        root = asked = prepare(request, self.config, self.structured_mode)
        attempts = 0
        for reask in range(self.config.max_reasks + 1):
            # the first ask's quarantine is journaled under its lease (`Leases.send_once`)
            outcome = await self._answer(asked, settle=self._settler(root) if reask == 0 else None)
            attempts += outcome.attempts
            if isinstance(outcome, Unanswered):
                return self._unanswered(root, outcome, attempts, reask)
            checked = (
                None
                if schema is None
                else check(outcome.text, schema, request.output_model, outcome.finish_reason)
            )
            if checked is None or checked.ok:
                if outcome.from_journal or reask:  # a fresh first answer cleared it as it was journaled
                    self.journal.clear_quarantine(root.key)
                return self._result(root, outcome, attempts, reask, checked)
            if reask < self.config.max_reasks:
                self.stats.reasks += 1
                messages = reask_messages(asked.request.messages, outcome.text, checked)
                asked = prepare(request.with_messages(messages), self.config, self.structured_mode)
        assert checked is not None and checked.reason is not None
        assert isinstance(outcome, Answer)
        return self._quarantine(
            root,
            checked.reason,
            f"{checked.reason}: {checked.error}",
            attempts,
            raw_text=outcome.text,
            reasks=self.config.max_reasks,
        )

    async def _answer(
        self, prepared: Prepared, settle: Callable[[Unanswered], None] | None = None
    ) -> Answer | Unanswered:
        """From the journal, or from the server; one wire request per key even if asked twice."""
        key = prepared.key
        while True:
            known = self.journal.get(key)
            # a structured request can be quarantined with its unusable answer journaled: that
            # answer is replayed too (the caller checks it again and asks anew)
            entry = known if known is None or known.status != "quarantined" else self.journal.answer(key)
            if entry is not None:
                return self._replay(entry)
            running = self._in_progress.get(key)
            if running is None:
                break
            try:  # the same request is on its way already: share its answer
                shared = await asyncio.shield(running)
            except asyncio.CancelledError:
                if running.cancelled() and not _cancelling():
                    continue  # the caller that was sending it was cancelled, not this one: ask it here
                raise
            self.stats.journal_hits += 1
            return replace(shared, from_journal=True, attempts=0) if isinstance(shared, Answer) else shared
        future: asyncio.Future[Answer | Unanswered] = asyncio.get_running_loop().create_future()
        self._in_progress[key] = future
        try:
            wire = self._wire(prepared)
            outcome = await self._leases.send_once(
                key,
                lambda turn: self._send(prepared, wire, turn),
                self._replay,
                first_turn=lambda: self._first_turn(wire),
                give_back=lambda turn: self.admission.release(turn, UNUSED),
                before=known,
                settle=settle,
            )
            future.set_result(outcome)
            return outcome
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a lone failure must not warn as "never retrieved"
            raise
        finally:
            del self._in_progress[key]

    def _replay(self, entry: JournalEntry) -> Answer:
        self.stats.journal_hits += 1
        self.stats.replayed_cost_usd += entry.cost_usd or 0.0
        return replayed(entry)

    def _wire(self, prepared: Prepared) -> Wire:
        args = create_args(self.structured_mode, prepared.request, prepared.payload)
        return Wire(args, *self.accounting.reservation(args["messages"]))

    async def _first_turn(self, wire: Wire) -> Ticket | Unanswered | None:
        """Admission's turn for the request's first attempt, taken before its lease."""
        return await self._admit(wire.cost_estimate, wire.token_estimate, attempt=1)

    async def _admit(self, cost_estimate: float, token_estimate: int, attempt: int) -> Ticket | Unanswered:
        try:
            return await self.admission.acquire(cost_estimate, token_estimate)
        except BudgetExhausted:
            self.stats.budget_exhausted = True
            return Unanswered(BUDGET_EXHAUSTED, "the budget cap was reached before sending", attempt - 1)

    async def _send(self, prepared: Prepared, wire: Wire, first: Ticket | None = None) -> Answer | Unanswered:
        """The attempts of one request; the first goes on `first` when admission gave it already."""
        key = prepared.key
        args, cost_estimate, token_estimate = wire
        failure = Failure("none", "no attempt made", retryable=False)
        for attempt in range(1, self.config.max_attempts + 1):
            ticket = (
                first
                if attempt == 1 and first is not None
                else await self._admit(cost_estimate, token_estimate, attempt)
            )
            if isinstance(ticket, Unanswered):
                return ticket
            self.stats.sent += 1
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.config.timeout_s):
                    response = await (
                        self.router.create(ticket, args)
                        if self.router is not None
                        else self._client.chat.completions.create(**args)
                    )
                completion = read_completion(response)
            except asyncio.CancelledError:
                self.admission.release(ticket, UNUSED)  # its window slot and budget, for the others
                raise
            except Exception as exc:  # noqa: BLE001 — classify() re-raises what it does not know
                try:
                    failure = classify(exc, self._secrets)
                except BaseException:
                    self.admission.release(ticket, UNUSED)
                    raise
                billed = self.accounting.billed(billed_usage(exc))  # what the server says it charged
                self.admission.release(
                    ticket,
                    Outcome(
                        time.monotonic() - started,
                        failure,
                        tokens=billed.tokens if billed else 0,
                        cost_usd=billed.cost_or_zero if billed else 0.0,
                    ),
                )
                if failure.cause == "http_429":
                    self.stats.rate_limited += 1
                if not failure.retryable or attempt == self.config.max_attempts:
                    break
                self.stats.retries[failure.cause] += 1
                delay = backoff_delay(self.config, attempt, failure.retry_after_s)
                log.debug("retry %d of %s in %.2fs after %s", attempt, key[:12], delay, failure.message)
                await asyncio.sleep(delay)
                continue
            latency = time.monotonic() - started
            spend = self.accounting.answered(args["messages"], completion)
            self.admission.release(
                ticket,
                Outcome(latency, None, spend.tokens, spend.completion_tokens, spend.cost_or_zero),
            )
            text = redact(completion.text, self._secrets)
            self.stats.latencies.append(latency)
            return journaled(self.journal, prepared, text, completion.finish_reason, spend, latency, attempt)
        return Unanswered(failure.cause, f"{failure.cause}: {failure.message}", attempt)

    # ---- results ---------------------------------------------------------------------------
    def _result(
        self, root: Prepared, answer: Answer, attempts: int, reasks: int, checked: Checked | None
    ) -> ChatResult:
        return ChatResult(
            root.request,
            root.key,
            answer.text,
            answer.finish_reason,
            from_journal=answer.from_journal and attempts == 0,
            parsed=None if checked is None else checked.value,
            attempts=attempts,
            reasks=reasks,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            cost_usd=answer.cost_usd,
        )

    def _unanswered(self, root: Prepared, outcome: Unanswered, attempts: int, reasks: int) -> ChatResult:
        if outcome.reason == BUDGET_EXHAUSTED:
            self.stats.deferred += 1
            return ChatResult(
                root.request,
                root.key,
                None,
                error=outcome.error,
                reason=BUDGET_EXHAUSTED,
                attempts=attempts,
                reasks=reasks,
            )
        return self._quarantine(root, outcome.reason, outcome.error, attempts, reasks=reasks)

    def _settler(self, root: Prepared) -> Callable[[Unanswered], None]:
        def settle(outcome: Unanswered) -> None:
            self._record_quarantine(root, outcome.reason, outcome.error, outcome.attempts)

        return settle

    def _record_quarantine(
        self, root: Prepared, reason: str, error: str, attempts: int, raw_text: str | None = None
    ) -> None:
        self.journal.record_quarantine(
            root.key,
            root.payload,
            error,
            attempts,
            reason=reason,
            raw_text=raw_text,
            request_json=root.canonical,
        )

    def _quarantine(
        self,
        root: Prepared,
        reason: str,
        error: str,
        attempts: int,
        *,
        raw_text: str | None = None,
        reasks: int = 0,
    ) -> ChatResult:
        self.stats.quarantined_by_reason[reason] += 1
        self._record_quarantine(root, reason, error, attempts, raw_text)
        if attempts:
            log.warning("quarantined %s (%s) after %d attempts: %s", root.key[:12], reason, attempts, error)
        else:  # every answer replayed: nothing was sent this run
            log.warning(
                "quarantined %s (%s) again, on the journal's answers: %s", root.key[:12], reason, error
            )
        return ChatResult(
            root.request,
            root.key,
            None,
            error=error,
            reason=reason,
            raw_text=raw_text,
            attempts=attempts,
            reasks=reasks,
        )

    # ---- batches ---------------------------------------------------------------------------
    async def complete_all(self, requests: Iterable[ChatRequest]) -> list[ChatResult]:
        started = time.monotonic()
        try:
            return list(await asyncio.gather(*(self.complete(r) for r in requests)))
        finally:
            self.stats.wall_s += time.monotonic() - started

    async def aclose(self) -> None:
        self.admission.close()
        await self._leases.close()
        if self.router is not None:
            await self.router.aclose()
        await self._client.close()
