"""The adaptive controls end to end against the fault server (the strict figures are in
bench/llm_client.py; these check the behaviour, quickly)."""

import time
from collections import Counter
from pathlib import Path

from pipeline.llm.endpoint import run_requests
from pipeline.llm.journal import Journal
from tests.support import faults
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import FAST, ask, endpoint_for

MANY = FAST.model_copy(update={"concurrency": 8, "max_attempts": 10})


def test_an_unannounced_rate_limit_is_learned(tmp_path: Path) -> None:
    rate = 30
    with FaultServer(rate_limit=rate, latency_s=0.01) as server, Journal(tmp_path / "j.db") as journal:
        endpoint = endpoint_for(server)
        results, stats = run_requests(endpoint, MANY, journal, [ask(f"q{i}") for i in range(120)])
    assert all(r.ok for r in results)
    statuses = server.status_counts()
    # a burst while discovering (its size depends on how the machine schedules the first
    # requests: 9 to 32 of 120 seen), then few: the second half of the run is nearly clean
    assert statuses[429] < 0.5 * statuses[200]
    received = sorted(server.received, key=lambda request: request.at)
    middle = (received[0].at + received[-1].at) / 2
    later = Counter(request.status for request in received if request.at >= middle)
    assert later[429] <= 0.1 * later[200], later
    ceiling = endpoint.run.control.rate.ceiling
    assert ceiling is not None and 0.6 * rate <= ceiling <= 1.6 * rate
    assert stats.rate_limited == statuses[429] and stats.as_dict()["concurrency_timeline"]


def test_rising_latency_keeps_the_window_small_against_a_serial_server(tmp_path: Path) -> None:
    # one request at a time, as llama.cpp serves: more in flight only queues
    config = FAST.model_copy(update={"concurrency": 2, "max_concurrency": 32})
    with FaultServer(latency_s=0.02, serial=True) as server, Journal(tmp_path / "j.db") as journal:
        endpoint = endpoint_for(server)
        started = time.monotonic()
        results, _ = run_requests(endpoint, config, journal, [ask(f"q{i}") for i in range(150)])
        elapsed = time.monotonic() - started
    window = endpoint.run.control.window
    assert all(r.ok for r in results) and window.decreases >= 1 and window.limit <= 8
    # still as fast as the server can serve: it is rarely idle waiting for the next request (its
    # busy time, not 150 × 20 ms, is the yardstick: a loaded machine stretches both alike)
    assert elapsed < server.busy_s * 1.6 + 0.5, (elapsed, server.busy_s)


def test_a_healthy_server_gets_more_concurrency(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"concurrency": 2, "max_concurrency": 16})
    with FaultServer(latency_s=0.02) as server, Journal(tmp_path / "j.db") as journal:
        endpoint = endpoint_for(server)
        run_requests(endpoint, config, journal, [ask(f"q{i}") for i in range(300)])
    # from 2: about one more per round trip (fewer when a loaded machine makes latency jitter)
    assert endpoint.run.control.window.limit >= 5
    assert max(point[1] for point in endpoint.run.totals.timeline.points) > 3


def test_retry_after_holds_back_every_new_request(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"concurrency": 4, "adaptive": False})
    with (
        FaultServer([faults.rate_limited(0.3)], latency_s=0.1) as server,
        Journal(tmp_path / "j.db") as journal,
    ):
        run_requests(endpoint_for(server), config, journal, [ask(f"q{i}") for i in range(10)])
    received = server.received
    limited_at = next(r.at for r in received if r.status == 429)
    later = [r.at for r in received[4:]]  # everything after the first four in flight
    assert later and min(later) >= limited_at + 0.28


def test_requests_per_minute_cap(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"concurrency": 8, "requests_per_minute": 600})  # 10/s
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        started = time.monotonic()
        run_requests(endpoint_for(server), config, journal, [ask(f"q{i}") for i in range(25)])
        elapsed = time.monotonic() - started
    assert elapsed >= 1.3  # ten at once (one second banked), then ten a second
    times = sorted(r.at for r in server.received)
    assert all(b - a < 0.5 for a, b in zip(times[10:], times[11:], strict=False))  # paced, not bunched
    assert times[-1] - times[10] >= 1.2  # the last fifteen spread over 1.5 s


def test_tokens_per_minute_cap(tmp_path: Path) -> None:
    # each request reserves ~8 prompt tokens + 16 max_tokens; usage refunds down to 5
    config = FAST.model_copy(update={"concurrency": 8, "tokens_per_minute": 60 * 50})  # 50/s
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        started = time.monotonic()
        run_requests(endpoint_for(server), config, journal, [ask(f"q{i}") for i in range(20)])
        elapsed = time.monotonic() - started
    assert 0.8 <= elapsed <= 4  # 20 x 5 tokens used, 50 banked, 50 a second


def test_learned_state_is_kept_across_batches_unless_the_settings_change(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        endpoint = endpoint_for(server)
        run_requests(endpoint, FAST, journal, [ask("a")])
        learned = endpoint.run.control
        run_requests(endpoint, FAST, journal, [ask("b")])
        assert endpoint.run.control is learned
        run_requests(
            endpoint, FAST.model_copy(update={"concurrency": 4, "max_concurrency": 4}), journal, [ask("c")]
        )
        assert endpoint.run.control is not learned and endpoint.run.control.window.limit == 4
