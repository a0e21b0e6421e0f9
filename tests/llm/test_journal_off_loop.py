"""A journal across a network is called from worker threads, so a slow round trip to it does not
stall the other requests in flight; a local SQLite file is called inline on the event loop."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from tests.support.fault_server import FaultServer

ROUND_TRIP_S = 0.1
REQUESTS = 8
CALLED = ("answer", "get", "take_lease", "release_lease", "record_answer", "clear_quarantine")


class SlowJournal(Journal):
    """SQLite that takes a database round trip per call and notes the thread of each call."""

    def __init__(self, path: Path, *, remote: bool):
        super().__init__(path)
        self.remote = remote  # type: ignore[misc]
        self.threads: list[int] = []

    def __getattribute__(self, name: str) -> Any:
        attribute = super().__getattribute__(name)
        if name not in CALLED:
            return attribute

        def slow(*args: Any, **kwargs: Any) -> Any:
            self.threads.append(threading.get_ident())
            time.sleep(ROUND_TRIP_S)
            return attribute(*args, **kwargs)

        return slow


def ask(server: FaultServer, journal: Journal) -> tuple[float, Any]:
    config = LLMConfig(base_url=server.base_url, model="m", concurrency=REQUESTS, adaptive=False)
    endpoint = Endpoint(server.base_url, "k", "m", embedded=False)
    requests = [ChatRequest(messages=[{"role": "user", "content": f"q{n}"}]) for n in range(REQUESTS)]
    started = time.monotonic()
    results, stats = run_requests(endpoint, config, journal, requests)
    assert all(result.ok for result in results) and stats.sent == REQUESTS
    return time.monotonic() - started, journal


@pytest.mark.parametrize("remote", [True, False])
def test_a_remote_journals_round_trips_overlap_and_a_local_ones_stay_on_the_loop(
    tmp_path: Path, remote: bool
) -> None:
    with FaultServer() as server, SlowJournal(tmp_path / "j.db", remote=remote) as journal:
        seconds, _ = ask(server, journal)
    calls = len(journal.threads)
    assert calls >= 4 * REQUESTS  # looked up, leased, released and answered, at least
    serial = calls * ROUND_TRIP_S
    if remote:
        # in threads: the round trips overlap, the event loop's thread makes none of them
        assert seconds < serial / 2, (seconds, serial)
        assert len(set(journal.threads)) > 1
    else:
        assert seconds >= serial * 0.9, (seconds, serial)  # one after another, on the loop
        assert len(set(journal.threads)) == 1
