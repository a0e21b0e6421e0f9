"""The client against the scripted fault server: retries, timeouts, quarantine, journal replay."""

import time
from pathlib import Path

import pytest

from pipeline.llm.endpoint import run_requests
from pipeline.llm.failures import LLMEndpointError
from pipeline.llm.journal import Journal
from tests.support import faults
from tests.support.fault_server import Action, FaultServer
from tests.support.llm_fixtures import FAST, ask, endpoint_for


def test_retries_429_with_retry_after_then_answers(tmp_path: Path) -> None:
    script = [faults.rate_limited(0.1), faults.server_error(500), faults.answer("hello")]
    with FaultServer(script) as server, Journal(tmp_path / "j.db") as journal:
        started = time.monotonic()
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
        elapsed = time.monotonic() - started
    assert results[0].text == "hello" and results[0].attempts == 3
    assert stats.retries == {"http_429": 1, "http_500": 1} and stats.rate_limited == 1
    assert len(server.received) == 3
    assert elapsed >= 0.1  # the Retry-After was honoured


def test_exhausted_attempts_are_quarantined_with_the_last_error(tmp_path: Path) -> None:
    with FaultServer(default=faults.server_error(503)) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
        assert journal.counts() == {"quarantined": 1}
        entry = journal.get(results[0].key)
    assert results[0].text is None and results[0].status == "quarantined"
    assert results[0].reason == "http_503" and "503" in (results[0].error or "")
    assert entry is not None and entry.reason == "http_503" and entry.attempts == FAST.max_attempts
    assert stats.quarantined == 1 and len(server.received) == FAST.max_attempts
    assert stats.retries == {"http_503": FAST.max_attempts - 1}  # the last failure is no retry


def test_a_hang_past_the_timeout_is_retried(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"timeout_s": 0.3})
    with (
        FaultServer([faults.hang(2.0), faults.answer("late but fine")]) as server,
        Journal(tmp_path / "j.db") as journal,
    ):
        results, stats = run_requests(endpoint_for(server), config, journal, [ask("hi")])
    assert results[0].text == "late but fine"
    assert stats.retries == {"timeout": 1}


def test_the_timeout_covers_a_slow_trickling_body_not_only_each_read(tmp_path: Path) -> None:
    # 8 pieces 0.1 s apart: no single read waits past 0.3 s, the whole answer does
    config = FAST.model_copy(update={"timeout_s": 0.3})
    with (
        FaultServer([faults.slow_stream(0.1), faults.answer("quick")]) as server,
        Journal(tmp_path / "j.db") as journal,
    ):
        results, stats = run_requests(endpoint_for(server), config, journal, [ask("hi")])
    assert results[0].text == "quick" and stats.retries == {"timeout": 1}


def test_a_slow_stream_within_the_timeout_is_answered(tmp_path: Path) -> None:
    with FaultServer([faults.slow_stream(0.02)]) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
    assert results[0].ok and stats.retries == {}


@pytest.mark.parametrize("fault", [faults.garbage, faults.truncated, faults.wrong_shape, faults.dropped])
def test_broken_bodies_and_connections_are_retried(tmp_path: Path, fault) -> None:
    with FaultServer([fault(), faults.answer("fine")]) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
    assert results[0].text == "fine"
    assert sum(stats.retries.values()) == 1
    assert set(stats.retries) <= {"bad_response", "connection"}


def test_a_client_error_is_quarantined_at_once(tmp_path: Path) -> None:
    with FaultServer(default=Action(status=400)) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("too long")])
    assert results[0].reason == "http_400" and len(server.received) == 1 and stats.retries == {}


@pytest.mark.parametrize("status", [401, 404])
def test_errors_every_request_would_share_stop_the_run(tmp_path: Path, status: int) -> None:
    with FaultServer(default=Action(status=status)) as server, Journal(tmp_path / "j.db") as journal:
        with pytest.raises(LLMEndpointError, match=str(status)):
            run_requests(endpoint_for(server), FAST, journal, [ask("a"), ask("b")])


def test_answered_requests_are_replayed_from_the_journal(tmp_path: Path) -> None:
    requests = [ask("a"), ask("b"), ask("a", sample_index=1)]
    with FaultServer() as server:
        with Journal(tmp_path / "j.db") as journal:
            first, _ = run_requests(endpoint_for(server), FAST, journal, requests)
        assert len(server.received) == 3  # the sample index makes a deliberate re-sample
        with Journal(tmp_path / "j.db") as journal:
            again, stats = run_requests(endpoint_for(server), FAST, journal, requests)
        assert len(server.received) == 3
    assert stats.journal_hits == 3 and stats.sent == 0
    assert [r.text for r in again] == [r.text for r in first]
    assert all(r.from_journal for r in again) and first[0].text != first[2].text


def test_the_same_request_twice_in_a_batch_is_sent_once(tmp_path: Path) -> None:
    with FaultServer(latency_s=0.05) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint_for(server), FAST, journal, [ask("x"), ask("x"), ask("y")])
    assert len(server.received) == 2 and results[0].text == results[1].text
    assert stats.journal_hits == 1 and stats.sent == 2


def test_a_quarantined_request_is_tried_again_by_a_later_run(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.db") as journal:
        with FaultServer(default=faults.server_error(502)) as server:
            first, _ = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
        assert journal.counts() == {"quarantined": 1}
        with FaultServer() as server:
            again, stats = run_requests(endpoint_for(server), FAST, journal, [ask("hi")])
        assert again[0].ok and again[0].key == first[0].key and stats.sent == 1
        assert journal.counts() == {"answered": 1}


def test_request_keys_separate_what_changes_the_answer() -> None:
    from pipeline.llm.request import prepare

    base = prepare(ask("q"), FAST, "openai").key
    assert prepare(ask("q"), FAST, "openai").key == base
    assert prepare(ask("q", tag="anything"), FAST, "openai").key == base  # the tag is the caller's
    changed = [
        prepare(ask("q", sample_index=1), FAST, "openai"),
        prepare(ask("q", json_schema={"type": "object"}), FAST, "openai"),
        prepare(ask("q").with_messages([{"role": "user", "content": "Q"}]), FAST, "openai"),
        prepare(ask("q"), FAST.model_copy(update={"temperature": 0.1}), "openai"),
        prepare(ask("q"), FAST.model_copy(update={"model": "other"}), "openai"),
    ]
    assert len({p.key for p in changed} | {base}) == len(changed) + 1
    from pipeline.llm.client import ChatRequest

    other_template = ChatRequest(messages=[{"role": "user", "content": "q"}], template_version="t@2")
    assert prepare(other_template, FAST, "openai").key != base


def test_an_endpoint_pickles_for_process_based_task_runners() -> None:
    import pickle

    from pipeline.llm.endpoint import Endpoint

    endpoint = Endpoint("http://127.0.0.1:1/v1", "sk-x-123456", "m", embedded=False)
    copy = pickle.loads(pickle.dumps(endpoint))
    assert copy == endpoint and copy.secret() == "sk-x-123456" and "sk-x" not in repr(copy)
