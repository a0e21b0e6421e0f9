"""A request leased by another worker is not sent: its answer (or its quarantine) is taken from
the journal when that worker settles it, and an expired lease is taken over and sent."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.llm.client import ChatRequest
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.llm.journal_lease import Leases, replayed
from pipeline.llm.request import prepare
from pipeline.llm.wire import Unanswered
from tests.support.fault_server import FaultServer

ELSEWHERE = "another-host/4242/worker"  # a live worker on another machine, as far as we can tell
REQUEST = ChatRequest(messages=[{"role": "user", "content": "leased"}])


def ask_in_background(server: FaultServer, journal: Journal) -> tuple[threading.Thread, list[Any]]:
    config = LLMConfig(base_url=server.base_url, model="m", max_attempts=1)
    endpoint = Endpoint(server.base_url, "k", "m", embedded=False)
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(run_requests(endpoint, config, journal, [REQUEST])))
    thread.start()
    return thread, out


def key_of(server: FaultServer) -> str:
    return prepare(REQUEST, LLMConfig(base_url=server.base_url, model="m"), "openai").key


def test_the_holders_answer_is_taken_and_nothing_is_sent(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        key = key_of(server)
        assert journal.take_lease(key, ELSEWHERE)
        thread, out = ask_in_background(server, journal)
        time.sleep(0.3)  # it waits meanwhile
        assert not server.received and thread.is_alive()
        journal.record_answer(
            key, {"model": "m"}, "from the other worker", finish_reason="stop",
            prompt_tokens=1, completion_tokens=1, latency_s=0.1, attempts=1,
        )  # fmt: skip
        journal.release_lease(key, ELSEWHERE)
        thread.join(timeout=10)
    [result], stats = out[0]
    assert result.text == "from the other worker" and stats.sent == 0 and stats.journal_hits == 1
    assert not server.received


def test_the_holders_quarantine_is_taken_too(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        key = key_of(server)
        journal.record_quarantine(key, {"model": "m"}, "an earlier run's", 1, reason="http_500")
        assert journal.take_lease(key, ELSEWHERE)
        thread, out = ask_in_background(server, journal)
        time.sleep(0.3)
        journal.record_quarantine(key, {"model": "m"}, "http_503: busy", 4, reason="http_503")
        journal.release_lease(key, ELSEWHERE)
        thread.join(timeout=10)
    [result], stats = out[0]
    assert not result.ok and result.reason == "http_503" and "busy" in (result.error or "")
    assert stats.sent == 0 and not server.received


def test_an_expired_lease_is_taken_over_and_the_request_sent(tmp_path: Path) -> None:
    """The quarantine entry there before the wait is an earlier run's: the request is retried."""
    with FaultServer() as server, Journal(tmp_path / "j.db", lease_s=0.5) as journal:
        key = key_of(server)
        journal.record_quarantine(key, {"model": "m"}, "an earlier run's", 1, reason="http_500")
        assert journal.take_lease(key, ELSEWHERE)
        started = time.monotonic()
        thread, out = ask_in_background(server, journal)
        thread.join(timeout=10)
        waited = time.monotonic() - started
        received = len(server.received)
        entry = journal.get(key)
    [result], stats = out[0]
    assert result.ok and stats.sent == 1 and received == 1
    assert waited >= 0.4  # not before the lease ran out
    assert entry is not None and entry.status == "answered"  # the old quarantine entry cleared


def test_a_quarantine_written_while_the_request_queued_is_taken_not_sent_again(tmp_path: Path) -> None:
    """Another worker settles the request (here: quarantines it) while this worker's copy
    still waits for admission; the lease is then free, but the request is not sent again."""
    with Journal(tmp_path / "j.db") as journal:
        key = "k" * 64
        sent: list[object] = []

        async def first_turn() -> str:
            journal.record_quarantine(key, {"model": "m"}, "http_400: bad request", 1, reason="http_400")
            return "turn"

        async def send(turn: object) -> Unanswered:
            sent.append(turn)
            return Unanswered("none", "", 0)

        given_back: list[object] = []
        leases = Leases(journal)
        result = asyncio.run(
            leases.send_once(key, send, replayed, first_turn=first_turn, give_back=given_back.append)
        )
        assert isinstance(result, Unanswered) and result.reason == "http_400"
        assert sent == [] and given_back == ["turn"]


def test_a_journal_error_before_sending_gives_the_turn_back(tmp_path: Path) -> None:
    class Failing(Journal):
        def take_lease(self, key: str, owner: str) -> bool:
            raise OSError("database is locked")

    with Failing(tmp_path / "j.db") as journal:
        given_back: list[object] = []

        async def first_turn() -> str:
            return "turn"

        async def send(turn: object) -> Unanswered:
            raise AssertionError("nothing may be sent")

        leases = Leases(journal)
        with pytest.raises(OSError, match="locked"):
            asyncio.run(
                leases.send_once("k" * 64, send, replayed, first_turn=first_turn, give_back=given_back.append)
            )
        assert given_back == ["turn"]


def test_a_worker_waiting_for_anothers_lease_holds_no_turn(tmp_path: Path) -> None:
    """Its turn goes back at once and it waits without asking for another (a turn reserves
    budget and a slot of the window); the holder's answer then comes from the journal."""
    with Journal(tmp_path / "j.db") as journal:
        key = "k" * 64
        assert journal.take_lease(key, ELSEWHERE)
        turns: list[str] = []
        given_back: list[object] = []

        async def first_turn() -> str:
            turns.append("turn")
            return "turn"

        async def send(turn: object) -> Unanswered:
            raise AssertionError("the holder answers it")

        async def holder_answers() -> None:
            await asyncio.sleep(0.3)
            journal.record_answer(
                key, {"model": "m"}, "the holder's", finish_reason="stop",
                prompt_tokens=1, completion_tokens=1, latency_s=0.1, attempts=1,
            )  # fmt: skip
            journal.release_lease(key, ELSEWHERE)

        async def both() -> object:
            leases = Leases(journal)
            answer, _ = await asyncio.gather(
                leases.send_once(key, send, replayed, first_turn=first_turn, give_back=given_back.append),
                holder_answers(),
            )
            return answer

        answer = asyncio.run(both())
        assert getattr(answer, "text", None) == "the holder's"
        assert turns == ["turn"] and given_back == ["turn"]


class SlowQuarantineJournal(Journal):
    """A worker whose quarantine write comes late (a busy database)."""

    def record_quarantine(self, *args: Any, **kwargs: Any) -> None:
        time.sleep(1.0)
        super().record_quarantine(*args, **kwargs)


def test_a_waiting_worker_takes_the_holders_quarantine_even_when_it_is_written_late(tmp_path: Path) -> None:
    """The holder journals its quarantine before it lets the lease go: the worker waiting on the
    lease finds the quarantine instead of sending the request a second time."""
    from tests.support.faults import Action

    path = tmp_path / "j.db"
    with FaultServer(default=Action(status=500, delay_s=0.5)) as server:
        with SlowQuarantineJournal(path) as slow, Journal(path) as other:
            holder, holder_out = ask_in_background(server, slow)
            time.sleep(0.2)  # the holder is sending; the second worker starts and waits on the lease
            waiter, waiter_out = ask_in_background(server, other)
            holder.join(timeout=20)
            waiter.join(timeout=20)
    assert len(server.received) == 1
    [[held], _], [[waited], waiter_stats] = holder_out[0], waiter_out[0]
    assert held.reason == waited.reason == "http_500" and waiter_stats.sent == 0


class FlakyRenewals(Journal):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renewals = 0

    def renew_leases(self, owner: str) -> None:
        self.renewals += 1
        if self.renewals == 1:
            raise RuntimeError("database is locked")
        super().renew_leases(owner)


def test_a_failed_renewal_is_tried_again_and_the_live_request_keeps_its_lease(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FlakyRenewals(tmp_path / "j.db", lease_s=0.3) as journal:

        async def main() -> tuple[bool, bool]:
            leases = Leases(journal)
            taken: list[bool] = []

            async def long_send(turn: Any) -> Unanswered:
                await asyncio.sleep(1.0)  # three lease lives: only renewals keep it
                taken.append(journal.take_lease("K", ELSEWHERE))
                return Unanswered("x", "y", 1)

            await leases.send_once("K", long_send, replayed)
            await leases.close()  # the failed renewal does not come back out here
            return taken[0], journal.take_lease("K", ELSEWHERE)

        taken_mid_send, taken_after = asyncio.run(main())
    assert not taken_mid_send and taken_after
    assert journal.renewals >= 3
    assert "could not renew 1 request lease(s)" in caplog.text
