"""A journal across a network is called from worker threads, so a slow round trip to it does not
stall the other requests in flight; a local SQLite file is called inline on the event loop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from tests.support.fault_server import FaultServer

ROUND_TRIP_S = 0.03
REQUESTS = 8
CALLED = ("answer", "get", "take_lease", "release_lease", "record_answer", "clear_quarantine")


class SlowJournal(Journal):
    """SQLite that takes a database round trip per call and notes the thread of each call."""

    def __init__(self, path: Path, *, remote: bool):
        super().__init__(path)
        self.remote = remote  # type: ignore[misc]
        self.threads: list[int] = []
        self.in_call: Counter[int] = Counter()  # calls under way, by thread (one may nest another)
        self.most_at_once = 0  # threads in a call at the same moment
        self.counting = threading.Lock()

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name not in CALLED:
            return attribute

        def slow(*args: Any, **kwargs: Any) -> Any:
            thread = threading.get_ident()
            with self.counting:
                self.threads.append(thread)
                self.in_call[thread] += 1
                self.most_at_once = max(self.most_at_once, len(+self.in_call))
            try:
                time.sleep(ROUND_TRIP_S)
                return attribute(*args, **kwargs)
            finally:
                with self.counting:
                    self.in_call[thread] -= 1

        return slow


def ask(server: FaultServer, journal: Journal) -> None:
    config = LLMConfig(base_url=server.base_url, model="m", concurrency=REQUESTS, adaptive=False)
    endpoint = Endpoint(server.base_url, "k", "m", embedded=False)
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{n}"}]) for n in range(REQUESTS)]
    results, stats = run_requests(endpoint, config, journal, requests)  # its loop: this thread
    assert all(result.ok for result in results) and stats.sent == REQUESTS


@pytest.mark.parametrize("remote", [True, False])
def test_a_remote_journals_round_trips_overlap_and_a_local_ones_stay_on_the_loop(
    tmp_path: Path, remote: bool
) -> None:
    with FaultServer() as server, SlowJournal(tmp_path / "j.db", remote=remote) as journal:
        ask(server, journal)
    assert len(journal.threads) >= 4 * REQUESTS  # looked up, leased, released and answered, at least
    loop_thread = threading.get_ident()
    if remote:
        # in worker threads, several round trips at once; none on the event loop's thread
        assert loop_thread not in journal.threads
        assert journal.most_at_once >= 2
    else:
        assert set(journal.threads) == {loop_thread}
        assert journal.most_at_once == 1  # one after another, on the loop
