"""generate.parallel_batches: batches in flight together, started and absorbed in batch order,
sharing the request budget and the target; a rerun replays every request from the journal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import SeedforgeError
from pipeline.generate.self_instruct.batch import BatchOutcome, generate_batch
from pipeline.generate.self_instruct.turnstile import Turnstile
from tests.build.conftest import build_config, quiet_build
from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model


@pytest.fixture
def slow_server() -> Iterator[FaultServer]:
    with FaultServer(responder=scripted_model, latency_s=0.05) as running:
        yield running


class Recorder:
    """Wraps generate_batch: when each batch ran, and a mark in its counts saying which it was."""

    def __init__(self, hold_even: float = 0.0):
        self.spans: dict[int, tuple[float, float]] = {}
        self.hold_even = hold_even  # even batches linger, so the next one finishes first
        self.lock = threading.Lock()

    def __call__(self, run: Any, pool: list[str], index: int, **kwargs: Any) -> BatchOutcome:
        began = time.monotonic()
        outcome = generate_batch(run, pool, index, **kwargs)
        if index % 2 == 0:
            time.sleep(self.hold_even)
        with self.lock:
            self.spans[index] = (began, time.monotonic())
        outcome.counts[f"batch:{index}"] = 1
        return outcome


def test_turnstile_admits_in_batch_order_and_close_releases_waiters() -> None:
    turnstile, order = Turnstile(), []

    def admit(batch: int) -> None:
        with turnstile.turn(batch):
            order.append(batch)

    threads = [threading.Thread(target=admit, args=(n,)) for n in (3, 2, 1, 0)]
    for thread in threads:
        thread.start()
        time.sleep(0.01)  # later batches are at the turnstile first
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3]
    with turnstile.turn(1):  # a retried batch whose turn has passed admits at once
        pass

    errors: list[BaseException] = []

    def waiting() -> None:
        try:
            with turnstile.turn(9):
                pass
        except SeedforgeError as error:
            errors.append(error)

    waiter = threading.Thread(target=waiting)
    waiter.start()
    time.sleep(0.05)
    assert waiter.is_alive()
    turnstile.close()
    waiter.join(5)
    assert not waiter.is_alive() and "batch 9 was not admitted" in str(errors[0])


def test_two_batches_in_flight_overlap_and_are_absorbed_in_order(
    slow_server: FaultServer, data_dir: Path
) -> None:
    from pipeline.build.run import BuildHooks, build_dataset

    config = build_config(slow_server.base_url, target=12, tasks_per_request=1, parallel_batches=2)
    recorder = Recorder(hold_even=0.3)
    absorbed: list[int] = []

    def on_batch(result: Any) -> None:
        marks = {int(key.split(":")[1]) for key in result.counts if key.startswith("batch:")}
        absorbed.append(max(marks - set(absorbed)) if len(marks) > len(absorbed) else -1)

    built = build_dataset(config, batch_fn=recorder, hooks=BuildHooks(on_batch=on_batch))
    batches = built.generated.batches
    assert batches >= 3 and absorbed == list(range(batches))
    # batch 1 started before batch 0 ended, and finished first (batch 0 lingers)
    (_, end0), (start1, end1) = recorder.spans[0], recorder.spans[1]
    assert start1 < end0 and end1 < end0
    assert len(built.generated.kept) == 12


def test_the_request_budget_holds_for_all_batches_in_flight(slow_server: FaultServer, data_dir: Path) -> None:
    config = build_config(slow_server.base_url, target=200, max_requests=23, parallel_batches=3)
    built = quiet_build(config)
    assert built.generated.stop_reason == "max_requests"
    assert built.generated.requests <= 23 and len(slow_server.received) <= 23
    assert built.generated.requests >= 15  # the budget was used, not left idle


def test_a_parallel_rerun_gives_the_same_records_and_sends_nothing(
    slow_server: FaultServer, data_dir: Path
) -> None:
    from pipeline.build.publish import publish_build

    config = build_config(slow_server.base_url, target=12, parallel_batches=2)
    first: list[Any] = []

    def failing_publish(
        config: Any, build_id: str, history: Any, generated: Any, *args: Any, **kw: Any
    ) -> Any:
        first.append(generated)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        quiet_build(config, publish_fn=failing_publish)
    sent = len(slow_server.received)
    assert sent > 0

    rerun = quiet_build(config, publish_fn=publish_build)
    assert rerun.claim.resumed and len(slow_server.received) == sent  # all from the journal
    assert rerun.generated.usage.requests_sent == 0
    assert rerun.generated.usage.journal_hits == rerun.generated.requests == first[0].requests
    assert [r.id for r in rerun.generated.kept] == [r.id for r in first[0].kept]
    assert [r.id for r in rerun.generated.kept] and rerun.generated.batches == first[0].batches
