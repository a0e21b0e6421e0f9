from pathlib import Path

from pipeline.config import LLMConfig
from pipeline.llm.client import ChatRequest
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from tests.support.fault_server import Action, FaultServer

CONFIG = LLMConfig(base_url="set-by-test", model="m", max_attempts=3, timeout_s=2, concurrency=2)


def request(text: str, **kw) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], template_version="t@1", **kw)


def endpoint(server: FaultServer) -> Endpoint:
    return Endpoint(base_url=server.base_url, api_key="sk-test-secret", model="m", embedded=False)


def test_retries_429_with_retry_after_then_answers(tmp_path: Path) -> None:
    script = [Action(status=429, headers={"retry-after": "0.1"}), Action(status=500), Action(text="hello")]
    with FaultServer(script) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint(server), CONFIG, journal, [request("hi")])
    assert results[0].text == "hello"
    assert stats.retries == {"http_429": 1, "http_500": 1}
    assert len(server.received) == 3


def test_exhausted_attempts_are_quarantined_with_the_error(tmp_path: Path) -> None:
    with FaultServer(default=Action(status=503)) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint(server), CONFIG, journal, [request("hi")])
        assert journal.counts() == {"quarantined": 1}
    assert results[0].text is None and "http_503" in (results[0].error or "")
    assert stats.quarantined == 1 and len(server.received) == CONFIG.max_attempts


def test_hang_past_timeout_is_retried(tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"timeout_s": 0.5})
    with FaultServer([Action(delay_s=2.0), Action(text="late but fine")]) as server, \
            Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(endpoint(server), config, journal, [request("hi")])
    assert results[0].text == "late but fine"
    assert stats.retries["timeout"] == 1


def test_answered_requests_are_replayed_from_the_journal(tmp_path: Path) -> None:
    requests = [request("a"), request("b"), request("a", sample_index=1)]
    with FaultServer(default=Action(text="answer")) as server:
        with Journal(tmp_path / "j.db") as journal:
            first, _ = run_requests(endpoint(server), CONFIG, journal, requests)
        assert len(server.received) == 3  # the sample index makes a deliberate re-sample
        with Journal(tmp_path / "j.db") as journal:
            again, stats = run_requests(endpoint(server), CONFIG, journal, requests)
        assert len(server.received) == 3
    assert stats.journal_hits == 3 and [r.text for r in again] == [r.text for r in first]
    assert all(r.from_journal for r in again)


def test_api_key_never_reaches_the_journal(tmp_path: Path) -> None:
    with FaultServer() as server, Journal(tmp_path / "j.db") as journal:
        run_requests(endpoint(server), CONFIG, journal, [request("hi")])
    assert all(b"sk-test-secret" not in f.read_bytes() for f in tmp_path.iterdir())
    assert "sk-test-secret" not in repr(endpoint(server))
