"""check_judge: one live request before a run; a judge that cannot score stops it clearly."""

from pathlib import Path

import pytest

from pipeline.errors import SeedforgeError
from pipeline.llm.journal import Journal
from pipeline.llm.step import StepRunner
from pipeline.score.config import ScoreConfig
from pipeline.score.probe import ScoreSetupError, check_judge
from tests.score.judges import FAST, judge_server, reply
from tests.support import faults
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import endpoint_for


def test_a_good_judge_passes_and_is_asked_every_time(tmp_path: Path) -> None:
    with judge_server() as server:
        first = check_judge(endpoint_for(server), ScoreConfig(), FAST)
        with Journal(tmp_path / "journal.sqlite3") as journal:
            runner = StepRunner(endpoint_for(server), FAST, journal)
            again = check_judge(runner, ScoreConfig())
            assert runner.usage.requests == 0 and journal.counts() == {}  # a journal of its own
        assert len(server.received) == 2  # never replayed: the endpoint itself is checked
    assert first.score == again.score == 5 and first.judge == "m"
    body = server.received[0].body
    assert body["temperature"] == 0 and body["max_tokens"] == 96
    assert "capital of France" in body["messages"][-1]["content"]


@pytest.mark.parametrize(
    "server, words",
    [
        (FaultServer(default=faults.server_error(500)), ["no usable answer after 2 attempt(s)", "http_500"]),
        (
            FaultServer(responder=lambda body: "I like it a lot."),
            ["did not answer with the score JSON", "'I like it a lot.'"],
        ),
        (
            FaultServer(responder=lambda body: reply(9)),
            ["answered score 9, not an integer from 1 to 5", '"score": 9'],
        ),
        (FaultServer(responder=lambda body: '{"reason": "fine"}'), ["its JSON answer has no score"]),
        (FaultServer(default=faults.Action(status=404)), ["HTTP 404"]),
    ],
    ids=["http-500", "not-json", "score-9", "no-score", "http-404"],
)
def test_a_judge_that_cannot_score_is_named_with_what_came_back(
    server: FaultServer, words: list[str]
) -> None:
    with server, pytest.raises(ScoreSetupError) as caught:
        check_judge(endpoint_for(server), ScoreConfig(), FAST)
    message = str(caught.value)
    assert f"the judge at {server.base_url} (model m) cannot score records" in message
    for word in words:
        assert word in message
    assert isinstance(caught.value, SeedforgeError)  # the CLI's bad-input error: exit 2
