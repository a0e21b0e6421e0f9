"""A request that is cancelled, or fails in a way the client does not know, gives back its
admission turn (the endpoint's shared window slot and its budget reservation); a request that
shares another's answer is not cancelled with that other."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from pipeline.llm.budget import Budget
from pipeline.llm.client import ChatRequest, LLMClient
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from tests.support.fault_server import Action, FaultServer

REQUEST = ChatRequest(messages=[{"role": "user", "content": "cancelled"}])


def test_a_cancelled_request_gives_back_its_slot_and_its_budget(tmp_path: Path) -> None:
    with FaultServer(latency_s=1.0) as server, Journal(tmp_path / "j.db") as journal:
        config = LLMConfig(base_url=server.base_url, model="m", max_attempts=1)
        budget = Budget(limit_tokens=100_000)

        async def main() -> tuple[int, int]:
            client = LLMClient(config, server.base_url, "k", journal, budget=budget)
            try:
                task = asyncio.create_task(client.complete(REQUEST))
                await asyncio.sleep(0.2)  # sent, not answered
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                return client.control.in_flight.count, budget._reserved.tokens
            finally:
                await client.aclose()

        in_flight, reserved = asyncio.run(main())
    assert (in_flight, reserved) == (0, 0)


class FailingJournal(Journal):
    """The journal write of one answer fails (a dropped database connection)."""

    def record_answer(self, key: str, *args: Any, **kwargs: Any) -> None:
        if "fast" in str(args[0]):
            raise RuntimeError("journal write failed")
        super().record_answer(key, *args, **kwargs)


def test_a_batch_that_fails_leaves_no_slot_of_the_endpoints_window_taken(tmp_path: Path) -> None:
    """Every batch of a run shares the endpoint's count of requests in flight: the requests a
    failed batch had in flight must not stay counted for the batches after it."""

    def policy(body: dict[str, Any]) -> Action:
        return Action(delay_s=0.0 if "fast" in str(body["messages"]) else 1.5)

    with FaultServer(policy=policy) as server, FailingJournal(tmp_path / "j.db") as journal:
        config = LLMConfig(base_url=server.base_url, model="m", concurrency=3, adaptive=False, max_attempts=1)
        endpoint = Endpoint(server.base_url, "k", "m", embedded=False)
        requests = [
            ChatRequest(messages=[{"role": "user", "content": text}]) for text in ("fast", "slow1", "slow2")
        ]
        with pytest.raises(RuntimeError, match="journal write failed"):
            run_requests(endpoint, config, journal, requests)
        assert endpoint.run is not None
        assert endpoint.run.control.in_flight.count == 0


def test_a_request_sharing_anothers_answer_asks_itself_when_that_other_is_cancelled(tmp_path: Path) -> None:
    with FaultServer(latency_s=0.5) as server, Journal(tmp_path / "j.db") as journal:
        config = LLMConfig(base_url=server.base_url, model="m", max_attempts=1)

        async def main() -> Any:
            client = LLMClient(config, server.base_url, "k", journal)
            try:
                first = asyncio.create_task(client.complete(REQUEST))
                await asyncio.sleep(0.05)
                second = asyncio.create_task(client.complete(REQUEST))  # shares the first's answer
                await asyncio.sleep(0.05)
                first.cancel()  # e.g. its caller's own timeout
                return await second
            finally:
                await client.aclose()

        result = asyncio.run(main())
    assert result.ok and result.text
    assert len(server.received) == 2  # the cancelled send, and the second caller's own
