"""The window bounds the requests in flight over every batch of a run: batches run at once in
their own threads and event loops, each with its own admission queue, on one endpoint's
controls. A slot freed in one loop is taken by a request waiting in another."""

from __future__ import annotations

import asyncio
import pickle
import threading
import time

from pipeline.llm.admission import UNUSED, Admission, Outcome
from pipeline.llm.config import LLMConfig
from pipeline.llm.control import ControlState
from pipeline.llm.metrics import ConcurrencyTimeline


def run_batches(state: ControlState, batches: int, requests: int) -> tuple[int, int]:
    """(most requests in flight at once, requests answered) over `batches` threads."""
    lock = threading.Lock()
    current = peak = answered = 0

    async def batch() -> None:
        admission = Admission(state, None, ConcurrencyTimeline())

        async def one() -> None:
            nonlocal current, peak, answered
            ticket = await admission.acquire(0.0, 10)
            with lock:
                current += 1
                peak = max(peak, current)
            await asyncio.sleep(0.01)
            with lock:
                current -= 1
                answered += 1
            admission.release(ticket, Outcome(latency_s=0.01, completion_tokens=1))

        await asyncio.gather(*(one() for _ in range(requests)))
        admission.close()

    threads = [threading.Thread(target=asyncio.run, args=(batch(),)) for _ in range(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a batch waited for a slot nobody told it about"
    return peak, answered


def test_three_batches_share_one_window_of_two() -> None:
    state = ControlState(LLMConfig(concurrency=2, adaptive=False), time.monotonic())
    peak, answered = run_batches(state, batches=3, requests=12)
    assert answered == 36
    assert peak == 2  # three queues of their own would have had 6 in flight
    assert state.in_flight.count == 0


def test_the_adaptive_window_still_bounds_the_sum() -> None:
    config = LLMConfig(concurrency=2, max_concurrency=3)
    state = ControlState(config, time.monotonic())
    peak, answered = run_batches(state, batches=4, requests=10)
    assert answered == 40 and 2 <= peak <= 3 and state.in_flight.count == 0


def test_a_pickled_run_state_counts_afresh() -> None:
    state = ControlState(LLMConfig(concurrency=2, adaptive=False), time.monotonic())
    assert state.in_flight.take(2)
    copy = pickle.loads(pickle.dumps(state))
    assert copy.in_flight.count == 0 and copy.in_flight.take(2) and copy.in_flight.take(2)
    assert not copy.in_flight.take(2)


def test_a_turn_given_back_unused_frees_its_slot_and_teaches_the_window_nothing() -> None:
    # a worker gives a turn back when another worker holds the request's lease: nothing was sent
    state = ControlState(LLMConfig(base_url="http://x", model="m", concurrency=2), time.monotonic())

    async def turns() -> None:
        admission = Admission(state, None, ConcurrencyTimeline())
        for _ in range(5):
            ticket = await admission.acquire(0.0, 10)
            admission.release(ticket, UNUSED)
        assert state.in_flight.count == 0 and state._round_trip_s is None
        assert state._admissions.per_second(time.monotonic(), 60.0) == 0  # not counted as sent
        limit = state.window.limit
        ticket = await admission.acquire(0.0, 10)
        admission.release(ticket, Outcome(latency_s=0.05, completion_tokens=5))
        assert state._round_trip_s == 0.05 and state.window.limit >= limit  # an answer does teach it
        admission.close()

    asyncio.run(turns())


def test_a_turn_given_back_unused_returns_its_place_under_the_requests_per_minute_cap() -> None:
    config = LLMConfig(base_url="http://x", model="m", concurrency=2, requests_per_minute=2)
    state = ControlState(config, time.monotonic())

    async def turns() -> None:
        admission = Admission(state, None, ConcurrencyTimeline())
        for _ in range(4):  # more than the cap's two a minute: none was sent, so none waits
            ticket = await asyncio.wait_for(admission.acquire(0.0, 10), timeout=5)
            admission.release(ticket, UNUSED)
        admission.close()

    asyncio.run(turns())
