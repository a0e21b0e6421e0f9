"""The fault matrix: each fault alone, then all mixed (30% 429 / 10% 500 / 5% hangs / 10%
garbage). No crash; every request answered or quarantined with its reason; no answered
request sent twice; the journal agrees with the results."""

from pathlib import Path

import pytest

from pipeline.llm.endpoint import run_requests
from pipeline.llm.journal import Journal
from tests.support import faults
from tests.support.fault_server import FaultServer
from tests.support.faults import Action, FaultMix, request_identity
from tests.support.llm_fixtures import FAST, ask, endpoint_for

CONFIG = FAST.model_copy(update={"timeout_s": 0.3, "concurrency": 8, "max_attempts": 4})
REASONS = {"http_429", "http_500", "timeout", "bad_response", "connection"}


class FirstAttemptFails:
    """The fault on each request's first attempt, a clean answer on its next."""

    def __init__(self, make):
        self.make, self.seen = make, set()

    def __call__(self, body) -> Action:
        identity = request_identity(body)
        if identity in self.seen:
            return faults.answer()
        self.seen.add(identity)
        return self.make()


def check_invariants(server: FaultServer, journal: Journal, results, stats, n: int) -> None:
    assert len(results) == n and stats.requests == n
    answered = [r for r in results if r.ok]
    quarantined = [r for r in results if not r.ok]
    assert all(r.status == "quarantined" and r.reason in REASONS and r.error for r in quarantined)
    assert len(answered) + len(quarantined) == n and stats.quarantined == len(quarantined)
    counts = journal.counts()
    assert counts.get("answered", 0) == len(answered)
    assert counts.get("quarantined", 0) == len(quarantined)
    assert all(journal.get(r.key).status == "quarantined" for r in quarantined)
    assert resent_after_an_answer(server) <= stats.retries.get("timeout", 0)
    assert set(stats.retries) <= REASONS


def resent_after_an_answer(server: FaultServer) -> int:
    """Answers the server sent beyond the first for a request. A received answer is never asked
    again; the only way a request is answered twice is an answer that landed after the client's
    0.3 s timeout (the machine is loaded when tests run two at a time), which counts a timeout."""
    return sum(count - 1 for count in server.answered_counts().values() if count > 1)


@pytest.mark.parametrize(
    "fault",
    [
        lambda: faults.rate_limited(0.02),
        faults.server_error,
        lambda: faults.hang(0.6),
        faults.garbage,
        faults.truncated,
        faults.wrong_shape,
        faults.dropped,
    ],
    ids=["429", "500", "hang", "garbage", "truncated", "wrong_shape", "dropped"],
)
def test_each_fault_alone(tmp_path: Path, fault) -> None:
    n = 12
    with FaultServer(policy=FirstAttemptFails(fault)) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), CONFIG, journal, [ask(f"q{i}") for i in range(n)])
        check_invariants(server, journal, results, stats, n)
    assert all(r.ok for r in results)
    # every request's first attempt failed; a second attempt can fail only by running past the
    # 0.3 s timeout when the machine is loaded (tests run two at a time), which adds a timeout
    extra = sum(stats.retries.values()) - n
    assert extra >= 0 and extra <= stats.retries["timeout"], stats.retries


def test_all_faults_mixed(tmp_path: Path) -> None:
    n = 80
    mix = FaultMix(
        rate_429=0.30,
        rate_500=0.10,
        rate_hang=0.05,
        rate_garbage=0.10,
        hang_s=0.6,
        retry_after_s=0.02,
        seed=7,
    )
    with FaultServer(policy=mix) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), CONFIG, journal, [ask(f"q{i}") for i in range(n)])
        check_invariants(server, journal, results, stats, n)
        # 55% of attempts fail: some requests exhaust their four attempts
        assert 0 < stats.quarantined < n // 4
        assert {"http_429", "http_500", "bad_response"} <= set(stats.retries)
        # and a second run sends only the quarantined ones again
        before = len(server.received)
        again, second = run_requests(endpoint_for(server), CONFIG, journal, [ask(f"q{i}") for i in range(n)])
        assert second.journal_hits == n - stats.quarantined
        assert len({r.identity for r in server.received[before:]}) == stats.quarantined
        assert resent_after_an_answer(server) <= stats.retries.get("timeout", 0) + second.retries.get(
            "timeout", 0
        )


def test_slow_streams_past_the_timeout_are_retried_and_journaled_once(tmp_path: Path) -> None:
    n = 6
    with (
        FaultServer(policy=FirstAttemptFails(lambda: faults.slow_stream(0.1))) as server,
        Journal(tmp_path / "j.db") as journal,
    ):
        results, stats = run_requests(endpoint_for(server), CONFIG, journal, [ask(f"q{i}") for i in range(n)])
        assert all(r.ok for r in results) and journal.counts() == {"answered": n}
    assert stats.retries["timeout"] >= 1
