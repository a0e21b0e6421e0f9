import json

import pytest

from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.judge import (
    ItemJudgement,
    JudgeStep,
    collect_judgements,
    judge_questions,
    parse_score,
    parse_winner,
)
from pipeline.evaluate.metrics import rouge_l, wilson_interval
from pipeline.evaluate.rubrics import canonical_category, rubric_for
from pipeline.evaluate.summary import pairwise_summary
from pipeline.llm.client import ChatResult


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("open qa", "open_qa"),
        ("open QA", "open_qa"),
        ("Open_QA", "open_qa"),
        ("openqa", "open_qa"),
        ("closed QA", "closed_qa"),
        ("Summarisation", "summarization"),
        ("", "general"),
        (None, "general"),
        ("Poetry Writing", "poetry_writing"),
    ],
)
def test_category_names_fold_to_one_spelling(raw: str | None, canonical: str) -> None:
    assert canonical_category(raw) == canonical


def test_unknown_categories_get_the_general_rubric() -> None:
    assert rubric_for("poetry_writing").category == "general"
    assert rubric_for("open QA").category == "open_qa"
    assert rubric_for("brainstorming").open_ended and not rubric_for("math").open_ended


def item(category: str, reference: str | None = "REFERENCE-TEXT") -> EvalItem:
    return EvalItem(
        id=f"id-{category}", instruction="Do the task.", reference=reference, category=category, source="test"
    )


def test_reference_is_withheld_for_open_ended_categories() -> None:
    requests = JudgeStep().requests(
        judge_questions(
            [item("math"), item("generation"), item("unheard_of")], ["base answer"] * 3, ["tuned answer"] * 3
        )
    )
    assert len(requests) == 12
    prompts = {r.tag: r.messages[-1]["content"] for r in requests}
    assert "REFERENCE-TEXT" in prompts["score:base:id-math"]
    assert "REFERENCE-TEXT" not in prompts["score:tuned:id-generation"]
    assert "REFERENCE-TEXT" not in prompts["pair:base_first:id-generation"]
    assert "REFERENCE-TEXT" in prompts["pair:tuned_first:id-unheard_of"]  # general rubric shows it
    first = prompts["pair:base_first:id-math"]
    assert first.index("base answer") < first.index("tuned answer")
    swapped = prompts["pair:tuned_first:id-math"]
    assert swapped.index("tuned answer") < swapped.index("base answer")
    assert all(r.json_schema for r in requests)


@pytest.mark.parametrize(
    "text, score",
    [
        ('{"reason": "ok", "score": 7}', 0.7),
        ('Sure! {"reason": "a\nb", "score": 10}', 1.0),
        ("Score: 4", 0.4),
        ('{"score": 11}', None),
        ("no idea", None),
        (None, None),
        ('{"score": "x"}', None),
    ],
)
def test_scores_parse_or_count_as_unusable(text: str | None, score: float | None) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize(
    "text, winner",
    [
        ('{"reason": "r", "winner": "B"}', "B"),
        ('{"winner": "Tie"}', "tie"),
        ("winner: a", "A"),
        ('{"winner": "both"}', None),
        ("", None),
    ],
)
def test_winners_parse(text: str, winner: str | None) -> None:
    assert parse_winner(text) == winner


def test_both_orders_cancel_a_judge_that_always_picks_the_first() -> None:
    biased = ItemJudgement(base_first="A", tuned_first="A")
    assert biased.outcome() == "tie" and biased.consistent is False
    assert ItemJudgement(base_first="B", tuned_first="A").outcome() == "win"
    assert ItemJudgement(base_first="A", tuned_first="B").outcome() == "loss"
    assert ItemJudgement(base_first="tie", tuned_first="A").outcome() == "win"
    assert ItemJudgement(base_first="B", tuned_first=None).outcome() is None


def test_judgements_are_collected_per_item_and_failures_counted() -> None:
    items = [item("math"), item("generation")]
    step, questions = JudgeStep(), judge_questions(items, ["b1", "b2"], ["t1", "t2"])
    replies = [
        json.dumps({"reason": "fine", "score": 3}),
        json.dumps({"reason": "good", "score": 8}),
        '{"winner": "B"}',
        '{"winner": "A"}',
        "garbage",
        None,
        '{"winner": "A"}',
        '{"winner": "A"}',
    ]
    results = [ChatResult(r, "k", text) for r, text in zip(step.requests(questions), replies, strict=True)]
    judged, failures = collect_judgements(
        items, [(q, step.parse(q, r)) for q, r in zip(questions, results, strict=True)]
    )
    assert failures == 2
    assert (judged[0].base_score, judged[0].tuned_score, judged[0].outcome()) == (0.3, 0.8, "win")
    assert judged[0].reasons["score:tuned"] == "good"
    assert judged[1].base_score is None and judged[1].outcome() == "tie"


def test_win_rate_counts_ties_half_with_a_wilson_interval() -> None:
    rows = [
        {"pairwise": {"outcome": o, "consistent": o != "tie"}}
        for o in ["win"] * 6 + ["tie"] * 2 + ["loss"] * 2
    ]
    rows.append({"pairwise": {"outcome": None, "consistent": None}})
    summary = pairwise_summary(rows)
    assert (summary["judged"], summary["wins"], summary["ties"], summary["losses"]) == (10, 6, 2, 2)
    assert summary["win_rate"] == 0.7 and summary["position_consistency"] == 0.8
    low, high = summary["ci95"]
    assert 0.39 < low < 0.41 and 0.89 < high < 0.90
    assert pairwise_summary([{}]) is None


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(10, 10)
    assert high == 1.0 and 0.72 < low < 0.73
    assert wilson_interval(0, 10)[0] == 0.0


def test_rouge_l_counts_chinese_characters() -> None:
    assert rouge_l("我喜欢春天", "我喜欢春天") == 1.0
    assert 0 < rouge_l("我喜欢夏天", "我喜欢春天") < 1
    assert rouge_l("The cat sat.", "the cat sat") == 1.0
