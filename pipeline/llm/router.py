"""Requests over several endpoints: each attempt goes to the endpoint with the most headroom.

Each endpoint keeps its own adaptive controls (`ControlState`, behind its own `Admission`);
the router is one queue in front of them all. A request leaves, in arrival order, for the
endpoint in service whose window has the largest free share (free slots / its current limit)
times its weight, among those whose time-based controls (Retry-After, paced rate, caps) let
it go now. One attempt goes to one endpoint: a request is never on two at once; its retry
after a failure is routed afresh, so it may land on another.

A router serves one call (a generation step), whose prompts share a long start that a
llama.cpp server computes once and reuses. So each router has a home endpoint (the one fewest
live routers have, heaviest first). It never sends to another router's home while a router at
home there has a request waiting, and once every endpoint is some router's home it sends home
first: two batches' steps then run one on each server, each reusing its own prompt start. A
lone step spreads by headroom; a home out of service or held back claims nothing.

An endpoint whose answers say it is down (`pipeline.llm.health`: connection refused at once;
timeouts or 5xx three in a row) is taken out, and probed back in with `GET /models`. When all
are out the router still sends, as a lone endpoint would (an answer brings one back in), so
requests are retried and quarantined as usual rather than waiting forever. An endpoint that
refuses a request (HTTP 401/403/404: its key or model name is wrong there) is out for the rest
of the run and the request goes to another; when the last one left refuses, the run stops as
it would with one endpoint."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openai
from openai import AsyncOpenAI

from pipeline.llm.admission import Admission, Outcome, Ticket, TicketQueue
from pipeline.llm.budget import Budget
from pipeline.llm.config import LLMConfig
from pipeline.llm.control import ControlState
from pipeline.llm.failures import FATAL_STATUS, MEANING, EndpointRefused, LLMEndpointError
from pipeline.llm.health import Health
from pipeline.llm.metrics import ConcurrencyTimeline
from pipeline.llm.replicas import Replica

log = logging.getLogger("pipeline.llm")

PROBE_TIMEOUT_S = 5.0
_homes_lock = threading.Lock()  # routers of parallel batches choose homes from their own threads


@dataclass
class ReplicaState:
    """What a run learns about one endpoint, across its batches' event loops."""

    control: ControlState
    health: Health
    sent: int = 0  # attempts routed here
    homes: list[Router] = field(default_factory=list)  # live routers whose home this is (`_homes_lock`)

    def __getstate__(self) -> dict[str, Any]:  # a process-based task runner's copy: its own homes
        return {**self.__dict__, "homes": []}


def replica_states(config: LLMConfig, replicas: tuple[Replica, ...], now: float) -> list[ReplicaState]:
    states = []
    for replica in replicas:
        health = Health(config.probe_after_s)
        if not replica.ready:
            health.take_out(now, "did not answer when the run started")
        states.append(ReplicaState(ControlState(config, now), health))
    return states


@dataclass(frozen=True)
class RoutedTicket(Ticket):
    replica: int = 0


@dataclass
class _Member:
    replica: Replica
    state: ReplicaState
    admission: Admission
    client: AsyncOpenAI
    probe: asyncio.Task[None] | None = field(default=None)


class Router(TicketQueue):
    """Create inside the event loop that uses it (its clients and probes are bound to it).
    Has Admission's `acquire`/`release`/`close`, plus `create`, which sends an admitted
    attempt to the endpoint its ticket names."""

    def __init__(
        self,
        replicas: tuple[Replica, ...],
        states: list[ReplicaState],
        config: LLMConfig,
        budget: Budget | None,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.members = [
            _Member(
                replica,
                state,
                Admission(state.control, budget, ConcurrencyTimeline(), clock),
                AsyncOpenAI(
                    base_url=replica.base_url,
                    api_key=replica.secret(),
                    max_retries=0,
                    timeout=config.timeout_s,
                ),
            )
            for replica, state in zip(replicas, states, strict=True)
        ]
        self.timeline = ConcurrencyTimeline()  # all endpoints together; the client's stats take it
        self.clock = clock
        self.home: int | None = self._choose_home()
        for member in self.members:
            member.admission.wake = self._pump  # a slot freed by another batch: this queue's turn
            member.admission.listen()
            if member.state.health.out:
                self._start_probe(member)

    def _choose_home(self) -> int:
        def claim(i: int) -> tuple[bool, int, float, int, int]:
            m, state = self.members[i], self.members[i].state
            return state.health.out, len(state.homes), -m.replica.weight, state.control.in_flight.count, i

        with _homes_lock:
            home = min(range(len(self.members)), key=claim)
            self.members[home].state.homes.append(self)
        return home

    def _leave_home(self) -> None:
        with _homes_lock:
            if self.home is not None:
                self.members[self.home].state.homes.remove(self)
                self.home = None

    def _may_borrow(self, member: _Member) -> bool:
        """Another router's home is lent while the routers at home there have nothing waiting."""
        return not any(router._waiting for router in member.state.homes if router is not self)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(m.replica.secret() for m in self.members)

    # ---- admission -------------------------------------------------------------------------
    def release(self, ticket: Ticket, outcome: Outcome) -> None:
        assert isinstance(ticket, RoutedTicket)
        member = self.members[ticket.replica]
        member.admission.release(ticket, outcome)
        health, now = member.state.health, self.clock()
        if outcome.failure is None:
            if not outcome.unused and health.on_answer():
                log.warning("endpoint %s answered again: back in service", member.replica.base_url)
        elif health.on_failure(outcome.failure.cause, now):
            log.warning(
                "endpoint %s taken out of service (%s); probing it in %.1f s",
                member.replica.base_url,
                health.reason,
                health.delay_s,
            )
            self._start_probe(member)
        self._sample(now)
        self._pump()

    def _candidates(self) -> list[_Member]:
        """The endpoints in service; when all are out, every one not refused. An endpoint out
        of service is probed from here too: another batch's router may have taken it out and
        ended (its probe with it), and this one must still bring it back."""
        live = []
        for member in self.members:
            if member.state.health.out:
                if not member.state.health.refused:
                    self._start_probe(member)
            else:
                live.append(member)
        candidates = live or [m for m in self.members if not m.state.health.refused]
        if not candidates:  # batches in other threads each refused one: no request can leave
            raise LLMEndpointError(
                "every endpoint refused the run's requests (HTTP 401/403/404): "
                + "; ".join(f"{m.replica.base_url}: {m.state.health.reason}" for m in self.members)
            )
        return candidates

    def _try_admit(self, cost_estimate: float, token_estimate: int) -> Ticket | None:
        """A ticket on the endpoint with the most headroom, None to wait; raises BudgetExhausted."""
        now = self.clock()
        best: tuple[float, int] | None = None
        soonest: float | None = None
        candidates = self._candidates()
        home = self.members[self.home] if self.home is not None else None
        if home not in candidates or (home is not None and home.state.control.wait_s(now) > 0):
            home = None  # out of service or held back (Retry-After, a cap): no claim on any other
        every_one_a_home = all(m.state.homes for m in candidates)  # else a lone step spreads
        for member in candidates:
            control = member.state.control
            limit, in_flight = control.window.limit, control.in_flight.count  # every batch's
            if in_flight >= limit:
                continue
            wait = member.state.control.wait_s(now)
            if wait > 0:
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            if home is not None and member is not home and not self._may_borrow(member):
                continue
            score = (limit - in_flight) / limit * member.replica.weight
            if member is home and every_one_a_home:
                score = float("inf")
            index = self.members.index(member)
            if best is None or score > best[0]:
                best = (score, index)
        if best is None:
            if soonest is not None:
                self._wake_in(soonest)
            return None
        index = best[1]
        ticket = self.members[index].admission.try_acquire(cost_estimate, token_estimate)
        if ticket is None:  # another batch's thread took the slot; retried on the next release
            return None
        self._sample(now)
        return RoutedTicket(ticket.sent_at, ticket.reservation, ticket.token_estimate, replica=index)

    def _sample(self, now: float) -> None:
        in_flight = sum(m.admission.in_flight for m in self.members)
        limit = sum(m.state.control.window.limit for m in self.members if not m.state.health.out)
        self.timeline.update(now, in_flight, limit, None)

    # ---- sending and probing ---------------------------------------------------------------
    async def create(self, ticket: Ticket, args: dict[str, Any]) -> Any:
        """Send one admitted attempt to its endpoint, under that endpoint's model name."""
        assert isinstance(ticket, RoutedTicket)
        member = self.members[ticket.replica]
        member.state.sent += 1  # counted here, not at admission: a turn may go back unused
        try:
            return await member.client.chat.completions.create(**dict(args, model=member.replica.model))
        except openai.APIStatusError as exc:
            if exc.status_code not in FATAL_STATUS:
                raise
            left = [m for m in self.members if m is not member and not m.state.health.refused]
            if not left:  # the last one: every request would fail, as with a lone endpoint
                member.state.health.refuse(f"HTTP {exc.status_code}")  # the requests waiting fail too
                raise
            self._refuse(member, exc.status_code, len(left))
            raise EndpointRefused(f"{member.replica.base_url} refused with HTTP {exc.status_code}") from None

    def _refuse(self, member: _Member, status: int, left: int) -> None:
        if member.state.health.refused:
            return
        member.state.health.refuse(f"HTTP {status}")
        log.warning(
            "endpoint %s refused a request with HTTP %d (%s): out for the rest of the run, "
            "%d endpoint(s) left",
            member.replica.base_url,
            status,
            MEANING[status],
            left,
        )

    def _start_probe(self, member: _Member) -> None:
        if member.probe is None or member.probe.done():
            member.probe = asyncio.get_running_loop().create_task(self._probe(member))

    async def _probe(self, member: _Member) -> None:
        health = member.state.health
        while health.out and not health.refused:
            await asyncio.sleep(health.next_probe_s(self.clock()))
            if not health.out:  # a request's answer, or another router's probe, brought it back
                break
            if not health.claim_probe(self.clock(), PROBE_TIMEOUT_S):
                continue  # another router is probing it: wait for that answer
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_S):
                    await member.client.models.list()
                ok = True
            except (openai.OpenAIError, TimeoutError):
                ok = False
            health.on_probe(ok, self.clock())
            if ok:
                log.warning("endpoint %s answers again: back in service", member.replica.base_url)
        self._pump()

    def close(self) -> None:
        self._leave_home()
        self._stop_timer()
        for member in self.members:
            member.admission.close()
            if member.probe is not None:
                member.probe.cancel()

    async def aclose(self) -> None:
        self.close()
        for member in self.members:
            await member.client.close()
