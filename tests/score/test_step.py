"""The step alone: what the judge is shown and how its answers are read (no server)."""

import pytest

from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection
from pipeline.records import QualityScore
from pipeline.score.prompts import SCORE_SCHEMA
from pipeline.score.step import QualityScoreStep
from tests.score.judges import alpaca, dialogue

RECORD = alpaca("Summarise the text.", "A short summary.", input="A long text about rivers.")


def test_one_request_per_record_with_the_score_schema_reason_first() -> None:
    step = QualityScoreStep("judge-m")
    requests = step.requests([RECORD, alpaca("Name a colour.", "Blue.")])
    assert len(requests) == 2 and all(r.json_schema == SCORE_SCHEMA for r in requests)
    assert list(SCORE_SCHEMA["properties"]) == ["reason", "score"]
    assert SCORE_SCHEMA["properties"]["score"] == {"type": "integer", "enum": [1, 2, 3, 4, 5]}
    assert SCORE_SCHEMA["properties"]["reason"]["maxLength"] == 200
    prompt = requests[0].messages[-1]["content"]
    assert prompt.index("## Instruction") < prompt.index("## Input") < prompt.index("## Output")
    assert "A long text about rivers." in prompt and "1: Unusable" in prompt
    assert "## Input\n(none)" in requests[1].messages[-1]["content"]
    assert requests[0].template_version == "quality-score-v1:seedforge-quality@1:instruction_first"


def test_the_other_order_is_another_request_with_the_same_texts() -> None:
    first = QualityScoreStep("m").request(RECORD)
    second = QualityScoreStep("m", order="output_first").request(RECORD)
    prompt = second.messages[-1]["content"]
    assert prompt.index("## Output") < prompt.index("## Instruction") < prompt.index("## Input")
    assert first.messages != second.messages and first.template_version != second.template_version
    for text in ("Summarise the text.", "A short summary.", "A long text about rivers."):
        assert text in prompt


def test_chinese_records_get_the_chinese_rubric_and_frame() -> None:
    prompt = (
        QualityScoreStep("m").request(alpaca("写一首诗。", "春风。", language="zh")).messages[-1]["content"]
    )
    assert "## 指令" in prompt and "评分标准" in prompt and "1: 不可用" in prompt


def test_a_dialogue_shows_its_turns_in_either_order() -> None:
    record = dialogue(("user", "My head hurts."), ("assistant", "Rest and drink water."), ("user", "Thanks."))
    natural = QualityScoreStep("m").request(record).messages[-1]["content"]
    assert "[1] user: My head hurts.\n[2] assistant: Rest and drink water.\n[3] user: Thanks." in natural
    flipped = QualityScoreStep("m", order="output_first").request(record).messages[-1]["content"]
    assert flipped.index("[2] assistant: Rest") < flipped.index("[1] user: My head")


def test_long_fields_are_cut() -> None:
    prompt = (
        QualityScoreStep("m", answer_chars=100).request(alpaca("Do it.", "x" * 500)).messages[-1]["content"]
    )
    assert "x" * 100 + " …[cut]" in prompt and "x" * 101 not in prompt


def result(text: str | None, **kw) -> ChatResult:
    return ChatResult(ChatRequest(messages=[]), "key", text, kw.pop("finish_reason", "stop"), **kw)


@pytest.mark.parametrize(
    "answer, expected",
    [
        (result('{"reason": "fine", "score": 4}'), 4),
        (result('Sure: {"reason": "ok", "score": "2"}'), 2),
        (result("Reason: clear. Score: 5"), 5),
        (result(None, reason="schema_mismatch", raw_text='{"reason": "' + "y" * 300 + '", "score": 3}'), 3),
        (result('{"reason": "great", "score": 9}'), "score_out_of_range"),
        (result("It is a decent record."), "unparseable"),
        (result('{"reason": "the out', finish_reason="length"), "truncated"),
        (result(None, reason="http_500", error="http_500: boom"), "quarantined:http_500"),
        (result('{"reason": "x", "score": true}'), "score_out_of_range"),
    ],
)
def test_answers_are_read_into_a_score_or_a_rejection(answer: ChatResult, expected: object) -> None:
    value = QualityScoreStep("judge-m").parse(RECORD, answer)
    if isinstance(expected, int):
        assert isinstance(value, QualityScore) and value.score == expected
        assert value.judge == "judge-m" and value.rubric == "seedforge-quality@1"
        assert len(value.reason) <= 200
    else:
        assert isinstance(value, Rejection) and value.reason == expected
