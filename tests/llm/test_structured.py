"""Structured output: the schema reaches the server per mode, answers are validated, failures
are asked again with the error, and what never validates is quarantined with its raw text."""

import json
import logging
from pathlib import Path

import pytest
from pydantic import BaseModel

from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal
from pipeline.llm.structured import check, extract_json, reask_messages, resolve_mode
from tests.support import faults
from tests.support.fault_server import FaultServer
from tests.support.llm_fixtures import FAST, SECRET, ask, endpoint_for


class Item(BaseModel):
    name: str
    count: int


GOOD = '{"name": "lamp", "count": 2}'


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        f"Sure! Here it is:\n```json\n{GOOD}\n```\nAnything else?",
        f"prose {GOOD} more prose",
        '{"name": "two\nlines", "count": 2}',  # raw newline inside a string, as small models write
    ],
)
def test_json_is_found_in_real_model_output(text: str) -> None:
    assert extract_json(text)["count"] == 2


def test_check_gives_stable_reason_codes() -> None:
    schema = Item.model_json_schema()
    assert check(GOOD, schema, Item, "stop").value == Item(name="lamp", count=2)
    assert check("no json here", schema, Item, "stop").reason == "invalid_json"
    assert check('{"name": "lamp"', schema, Item, "length").reason == "truncated"
    wrong = check('{"name": "lamp", "count": "many"}', schema, Item, "stop")
    assert wrong.reason == "schema_mismatch" and "count" in (wrong.error or "")
    # a plain JSON schema (no pydantic model) is checked with jsonschema
    plain = check('{"name": 1}', {"type": "object", "properties": {"name": {"type": "string"}}}, None, "stop")
    assert plain.reason == "schema_mismatch" and "name" in (plain.error or "")


def test_reask_shows_the_failed_answer_and_the_error() -> None:
    checked = check('{"name": 3}', Item.model_json_schema(), Item, "stop")
    messages = reask_messages([{"role": "user", "content": "q"}], '{"name": 3}', checked)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert "count" in messages[-1]["content"] and "JSON" in messages[-1]["content"]


def test_auto_mode_follows_the_endpoint() -> None:
    assert resolve_mode("auto", embedded=True) == "llama_cpp"
    assert resolve_mode("auto", embedded=False) == "openai"
    assert resolve_mode("text", embedded=True) == "text"


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("llama_cpp", {"type": "json_object", "schema": Item.model_json_schema()}),
        (
            "openai",
            {"type": "json_schema", "json_schema": {"name": "Item", "schema": Item.model_json_schema()}},
        ),
        ("text", None),
    ],
)
def test_the_schema_reaches_the_server_per_mode(tmp_path: Path, mode: str, expected) -> None:
    config = FAST.model_copy(update={"structured_output": mode})
    with FaultServer(default=faults.answer(GOOD)) as server, Journal(tmp_path / "j.db") as journal:
        results, _ = run_requests(endpoint_for(server), config, journal, [ask("an item", output_model=Item)])
    body = server.received[0].body
    assert body.get("response_format") == expected
    if mode == "text":
        assert '"count"' in body["messages"][-1]["content"]  # the schema is in the prompt
    assert results[0].parsed == Item(name="lamp", count=2)


def test_invalid_answers_are_asked_again_with_the_error(tmp_path: Path) -> None:
    script = [
        faults.answer("I think a lamp, maybe two."),
        faults.answer('{"name": "lamp", "count": "two"}'),
        faults.answer(GOOD),
    ]
    with FaultServer(script) as server, Journal(tmp_path / "j.db") as journal:
        results, stats = run_requests(
            endpoint_for(server), FAST, journal, [ask("an item", output_model=Item)]
        )
        assert results[0].parsed == Item(name="lamp", count=2) and results[0].reasks == 2
        assert stats.reasks == 2 and len(server.received) == 3
        last = server.received[2].body["messages"]
        assert last[-2] == {"role": "assistant", "content": '{"name": "lamp", "count": "two"}'}
        assert "count" in last[-1]["content"]
        # a rerun replays the whole exchange from the journal: nothing is sent
        again, stats = run_requests(endpoint_for(server), FAST, journal, [ask("an item", output_model=Item)])
    assert len(server.received) == 3 and again[0].parsed == results[0].parsed and stats.sent == 0


def test_never_valid_answers_are_quarantined_with_the_raw_text(tmp_path: Path) -> None:
    config = FAST.model_copy(update={"max_reasks": 1})
    with (
        FaultServer(default=faults.answer('{"name": "lamp"}')) as server,
        Journal(tmp_path / "j.db") as journal,
    ):
        results, stats = run_requests(
            endpoint_for(server), config, journal, [ask("an item", output_model=Item)]
        )
        entry = journal.get(results[0].key)
    result = results[0]
    assert result.status == "quarantined" and result.reason == "schema_mismatch"
    assert result.raw_text == '{"name": "lamp"}' and "count" in (result.error or "")
    assert entry is not None and entry.status == "quarantined" and entry.reason == "schema_mismatch"
    assert entry.response_text == '{"name": "lamp"}'  # the raw text is kept with the reason
    assert len(server.received) == 2 and stats.quarantined_by_reason == {"schema_mismatch": 1}


def test_a_rerun_that_quarantines_on_replayed_answers_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = FAST.model_copy(update={"max_reasks": 1})
    with (
        FaultServer(default=faults.answer('{"name": "lamp"}')) as server,
        Journal(tmp_path / "j.db") as journal,
    ):
        run_requests(endpoint_for(server), config, journal, [ask("an item", output_model=Item)])
        with caplog.at_level(logging.WARNING, logger="pipeline.llm"):
            again, stats = run_requests(
                endpoint_for(server), config, journal, [ask("an item", output_model=Item)]
            )
    assert again[0].status == "quarantined" and stats.sent == 0 and len(server.received) == 2
    assert "again, on the journal's answers" in caplog.text and "after 0 attempts" not in caplog.text


def test_plain_json_schema_requests_are_validated_too(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {"instructions": {"type": "array", "items": {"type": "string"}}},
        "required": ["instructions"],
    }
    script = [faults.answer('{"instructions": "one"}'), faults.answer('{"instructions": ["one"]}')]
    with FaultServer(script) as server, Journal(tmp_path / "j.db") as journal:
        results, _ = run_requests(endpoint_for(server), FAST, journal, [ask("tasks", json_schema=schema)])
    assert results[0].parsed == {"instructions": ["one"]} and json.loads(results[0].text) == results[0].parsed


def test_embedded_endpoints_get_llama_cpp_format_by_default(tmp_path: Path) -> None:
    with FaultServer(default=faults.answer(GOOD)) as server, Journal(tmp_path / "j.db") as journal:
        embedded = Endpoint(server.base_url, SECRET, "m", embedded=True)
        run_requests(embedded, FAST, journal, [ask("an item", output_model=Item)])
    assert server.received[0].body["response_format"]["type"] == "json_object"
