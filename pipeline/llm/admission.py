"""The queue in front of the endpoint: requests leave in arrival order as the controls allow.

One timer wakes the queue when a time-based control (Retry-After, paced rate, RPM/TPM caps)
opens again, and each finished request wakes it for the window: waiting costs no task a sleep
of its own, so there is no storm of sleepers waking at once. The window bounds the requests in
flight over every queue of the endpoint (the run's batches may each have one, in their own
threads): the count is the endpoint's (`ControlState.in_flight`), and a request finishing in
another queue wakes this one."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.llm.budget import Budget, BudgetExhausted, Reservation
from pipeline.llm.control import ControlState
from pipeline.llm.failures import Failure, LLMEndpointError
from pipeline.llm.metrics import ConcurrencyTimeline


@dataclass(frozen=True)
class Ticket:
    sent_at: float
    reservation: Reservation | None
    token_estimate: int


@dataclass(frozen=True)
class Outcome:
    """How an admitted attempt ended: answered (with usage and cost), failed, or `unused` (a turn
    given back without sending: `UNUSED`)."""

    latency_s: float
    failure: Failure | None = None
    tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    unused: bool = False


UNUSED = Outcome(latency_s=0.0, unused=True)


class TicketQueue:
    """Requests wait in arrival order for `_try_admit` to give them a ticket: each release and
    one timer (for time-based controls) pump the queue, so no waiter sleeps on its own. The
    admission of one endpoint and the router in front of several are both one."""

    def __init__(self) -> None:
        self._waiting: deque[tuple[asyncio.Future[Ticket], float, int]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def _try_admit(self, cost_estimate: float, token_estimate: int) -> Ticket | None:
        raise NotImplementedError

    def release(self, ticket: Ticket, outcome: Outcome) -> None:
        raise NotImplementedError

    async def acquire(self, cost_estimate: float, token_estimate: int) -> Ticket:
        """Wait for a turn; raises BudgetExhausted when this request may not leave at all."""
        if not self._waiting:
            ticket = self._try_admit(cost_estimate, token_estimate)
            if ticket is not None:
                return ticket
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        self._waiting.append((future, cost_estimate, token_estimate))
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.release(future.result(), UNUSED)
            raise

    def _pump(self) -> None:
        while self._waiting:
            future, cost_estimate, token_estimate = self._waiting[0]
            if future.done():  # its caller was cancelled
                self._waiting.popleft()
                continue
            try:
                ticket = self._try_admit(cost_estimate, token_estimate)
            except (BudgetExhausted, LLMEndpointError) as exc:  # no waiter may leave: each is told
                for waiting, _, _ in self._waiting:
                    if not waiting.done():
                        waiting.set_exception(
                            BudgetExhausted()
                            if isinstance(exc, BudgetExhausted)
                            else LLMEndpointError(str(exc))
                        )
                self._waiting.clear()
                return
            if ticket is None:
                return
            self._waiting.popleft()
            future.set_result(ticket)

    def _wake_in(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + seconds
        if self._timer is not None and not self._timer.cancelled() and self._timer.when() <= due:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._pump()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class Admission(TicketQueue):
    def __init__(
        self,
        state: ControlState,
        budget: Budget | None,
        timeline: ConcurrencyTimeline,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.state = state
        self.budget = budget
        self.timeline = timeline
        self.clock = clock
        self.in_flight = 0  # this queue's own, for its timeline
        self.wake: Callable[[], None] = self._pump  # a router in front sets its own
        self._listening = False

    def release(self, ticket: Ticket, outcome: Outcome) -> None:
        now = self.clock()
        self.in_flight -= 1
        self.state.in_flight.give_back(id(self))
        failure = outcome.failure
        if outcome.unused:  # nothing was sent: nothing to learn about the endpoint
            self.state.on_unused(now, ticket.sent_at)
        elif failure is None:
            signal = outcome.latency_s / max(1, outcome.completion_tokens)
            self.state.on_answer(now, ticket.sent_at, outcome.latency_s, signal)
        elif failure.cause == "http_429":
            self.state.on_rate_limited(now, ticket.sent_at, failure.retry_after_s)
        elif failure.overload:
            self.state.on_overload(now, ticket.sent_at)
        if self.budget is not None and ticket.reservation is not None:
            self.budget.settle(ticket.reservation, outcome.cost_usd, outcome.tokens)
        # what was not used goes back to the TPM cap (a failed attempt uses what it was billed)
        self.state.refund_tokens(now, ticket.token_estimate - outcome.tokens)
        self._sample(now)
        self._pump()

    def listen(self) -> None:
        """Be woken (`self.wake`, in this loop) whenever another queue frees one of the
        endpoint's slots. A router in front calls it up front: it may find every slot taken
        before it ever asks this queue, and would otherwise wait for a wake that never comes."""
        if not self._listening:
            self.state.in_flight.listen(id(self), lambda: self.wake())
            self._listening = True

    def try_acquire(self, cost_estimate: float, token_estimate: int) -> Ticket | None:
        """A turn now or None, without queueing: for a router choosing among several queues."""
        return self._try_admit(cost_estimate, token_estimate)

    def _try_admit(self, cost_estimate: float, token_estimate: int) -> Ticket | None:
        """A ticket if the request may leave now; None to wait; raises BudgetExhausted."""
        shared, limit = self.state.in_flight, self.state.window.limit
        self.listen()
        if shared.count >= limit:
            return None
        now = self.clock()
        wait = self.state.wait_s(now)
        if wait > 0:
            self._wake_in(wait)
            return None
        if not shared.take(limit):  # another thread's queue took the last slot meanwhile
            return None
        try:
            reservation = self.budget.reserve(cost_estimate, token_estimate) if self.budget else None
        except BudgetExhausted:
            shared.give_back(id(self))
            raise
        self.state.on_admit(now, token_estimate)
        self.in_flight += 1
        self._sample(now)
        return Ticket(now, reservation, token_estimate)

    def _sample(self, now: float) -> None:
        self.timeline.update(now, self.in_flight, self.state.window.limit, self.state.paced_rate(now))

    def close(self) -> None:
        self.state.in_flight.forget(id(self))
        self._listening = False
        self._stop_timer()
