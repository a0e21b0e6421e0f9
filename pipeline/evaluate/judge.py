"""An LLM judge through any OpenAI-compatible endpoint, with structured (JSON-schema) output.

Two kinds of judgement per item:
- pointwise: each answer alone gets 0-10 under its category's rubric (reported as 0-1); the
  reference is shown only for categories that are not open-ended;
- pairwise: base vs tuned side by side, asked twice with the order swapped. A judge that
  prefers whichever answer comes first then produces a tie instead of a false win.
Both are one LLM step (`JudgeStep`), run by a `StepRunner` in a single batch. An answer the
judge gets wrong in form (unparseable, quarantined) is a `Rejection`: counted, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.rubrics import rubric_for
from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection, answer_json, unanswered, was_cut
from pipeline.llm.structured import extract_json

TEMPLATE_VERSION = "judge-v2"
SYSTEM = (
    "You are a strict, fair grader of answers to instructions. The texts may be in any "
    "language. Judge correctness and usefulness, not length or style. Reply in JSON only."
)
_REASON = {"type": "string", "maxLength": 240}
SCORE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"reason": _REASON, "score": {"type": "integer", "enum": list(range(11))}},
    "required": ["reason", "score"],
}
PAIR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"reason": _REASON, "winner": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["reason", "winner"],
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " …[cut]"


def _task_block(item: EvalItem, limit: int) -> list[str]:
    rubric = rubric_for(item.category)
    lines = [
        f"Task category: {item.category}",
        f"Criteria: {rubric.criteria}",
        "",
        "## Instruction",
        _clip(item.instruction, limit),
    ]
    if item.input:
        lines += ["", "## Input", _clip(item.input, limit)]
    if item.reference and not rubric.open_ended:
        lines += ["", "## Reference answer", _clip(item.reference, limit)]
    return lines


def score_request(item: EvalItem, answer: str, side: str, limit: int = 1500) -> ChatRequest:
    lines = _task_block(item, limit) + [
        "",
        "## Answer to grade",
        _clip(answer, limit) or "(empty answer)",
        "",
        "Grade the answer from 0 (wrong, off-task or empty) to 10 (fully correct and helpful). "
        'Reply as JSON with "reason" (one short sentence of your own) and "score" (0-10).',
    ]
    return _judge_request(lines, "score", SCORE_SCHEMA, f"score:{side}:{item.id}")


def pair_request(item: EvalItem, first: str, second: str, order: str, limit: int = 1500) -> ChatRequest:
    lines = _task_block(item, limit) + [
        "",
        "## Answer A",
        _clip(first, limit) or "(empty answer)",
        "",
        "## Answer B",
        _clip(second, limit) or "(empty answer)",
        "",
        "Which answer carries out the instruction better? Ignore which one comes first. "
        'Reply as JSON with "reason" (one short sentence of your own) and "winner" ("A", "B" or "tie").',
    ]
    return _judge_request(lines, "pair", PAIR_SCHEMA, f"pair:{order}:{item.id}")


def _judge_request(lines: list[str], kind: str, schema: dict[str, Any], tag: str) -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}],
        template_version=f"{TEMPLATE_VERSION}-{kind}",
        json_schema=schema,
        tag=tag,
    )


@dataclass(frozen=True)
class JudgeQuestion:
    """One thing the judge is asked about one item."""

    item: EvalItem
    kind: Literal["score", "pair"]
    which: str  # score: "base" or "tuned"; pair: "base_first" or "tuned_first" (shown as A)
    answers: tuple[str, ...]  # score: the answer to grade; pair: answers A and B

    @property
    def slot(self) -> str:
        """Its name among the item's judge reasons."""
        return f"{self.kind}:{self.which}"


SLOTS = ("score:base", "score:tuned", "pair:base_first", "pair:tuned_first")  # one item's questions


def judge_questions(items: list[EvalItem], base: list[str], tuned: list[str]) -> list[JudgeQuestion]:
    """Per item: base and tuned graded alone, then the pair in both orders."""
    questions = []
    for item, base_answer, tuned_answer in zip(items, base, tuned, strict=True):
        questions += [
            JudgeQuestion(item, "score", "base", (base_answer,)),
            JudgeQuestion(item, "score", "tuned", (tuned_answer,)),
            JudgeQuestion(item, "pair", "base_first", (base_answer, tuned_answer)),
            JudgeQuestion(item, "pair", "tuned_first", (tuned_answer, base_answer)),
        ]
    return questions


def _json_object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _text_json(text: str) -> dict[str, Any] | None:
    try:
        return _json_object(extract_json(text))
    except ValueError:
        return None


def _field(data: dict[str, Any] | None, text: str, key: str, fallback: str) -> Any:
    """A field of the reply's JSON object, else what `fallback` finds in free text."""
    raw = data.get(key) if data else None
    if raw is None:
        match = re.search(fallback, text, re.IGNORECASE)
        raw = match.group(1) if match else None
    return raw


def _score(data: dict[str, Any] | None, text: str) -> float | None:
    raw = _field(data, text, "score", r"score\W{0,4}(\d+(?:\.\d+)?)")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return round(value / 10, 3) if 0 <= value <= 10 else None


def _winner(data: dict[str, Any] | None, text: str) -> str | None:
    raw = _field(data, text, "winner", r"winner\W{0,4}(A|B|tie)\b")
    if not isinstance(raw, str):
        return None
    return {"a": "A", "b": "B", "tie": "tie"}.get(raw.strip().strip("\"'").lower())


def parse_score(text: str | None) -> float | None:
    """0-1, or None when the reply holds no usable score."""
    return _score(_text_json(text), text) if text else None


def parse_winner(text: str | None) -> str | None:
    """ "A", "B", "tie", or None."""
    return _winner(_text_json(text), text) if text else None


@dataclass(frozen=True)
class JudgeVerdict:
    value: float | str  # a 0-1 score, or the winner: "A", "B" or "tie"
    explanation: str | None = None  # the judge's own one-sentence reason


def _explanation(data: dict[str, Any] | None) -> str | None:
    reason = data.get("reason") if data else None
    return reason[:300] if isinstance(reason, str) else None


@dataclass
class JudgeStep:
    """The judge's LLM step: a question per request, a score or a winner per answer."""

    answer_chars: int = 1500  # answers (and the task) are cut to this many characters
    name: str = "judge"
    max_reasks: int | None = None

    def request(self, question: JudgeQuestion) -> ChatRequest:
        if question.kind == "score":
            return score_request(question.item, question.answers[0], question.which, self.answer_chars)
        first, second = question.answers
        return pair_request(question.item, first, second, question.which, self.answer_chars)

    def requests(self, items: Sequence[JudgeQuestion]) -> list[ChatRequest]:
        return [self.request(question) for question in items]

    def parse(self, item: JudgeQuestion, answer: ChatResult) -> JudgeVerdict | Rejection:
        if not answer.ok:
            return unanswered(answer)
        text = answer.text or ""
        data = _json_object(answer_json(answer))
        value = _score(data, text) if item.kind == "score" else _winner(data, text)
        if value is None:
            return Rejection(
                "truncated" if was_cut(answer) else "unparseable",
                {"explanation": _explanation(data), "text": text[:300]},
            )
        return JudgeVerdict(value, _explanation(data))


@dataclass
class ItemJudgement:
    base_score: float | None = None
    tuned_score: float | None = None
    tuned_first: str | None = None  # winner with the tuned answer shown as A
    base_first: str | None = None  # winner with the base answer shown as A
    reasons: dict[str, str] | None = None

    @property
    def preference(self) -> float | None:
        """Tuned's share over the two orders (1 win, 0.5 tie, 0 loss), or None when either
        order has no verdict — one order alone cannot cancel position bias."""
        if self.base_first is None or self.tuned_first is None:
            return None
        tuned_when_second = {"B": 1.0, "tie": 0.5, "A": 0.0}[self.base_first]
        tuned_when_first = {"A": 1.0, "tie": 0.5, "B": 0.0}[self.tuned_first]
        return (tuned_when_second + tuned_when_first) / 2

    @property
    def consistent(self) -> bool | None:
        """Did both orders name the same model (or both a tie)?"""
        if self.base_first is None or self.tuned_first is None:
            return None
        flipped = {"A": "B", "B": "A", "tie": "tie"}[self.tuned_first]
        return flipped == self.base_first

    def outcome(self) -> str | None:
        share = self.preference
        if share is None:
            return None
        return "win" if share > 0.5 else "loss" if share < 0.5 else "tie"


JudgeOutcome = tuple[JudgeQuestion, JudgeVerdict | Rejection]


def collect_judgements(
    items: list[EvalItem], outcomes: Iterable[JudgeOutcome]
) -> tuple[list[ItemJudgement], int]:
    """Judgements per item (in item order) and the number of replies that were unusable."""
    reasons: dict[str, dict[str, str]] = {item.id: {} for item in items}
    by_id = {item.id: ItemJudgement() for item in items}
    failures = 0
    for question, outcome in outcomes:
        item_id = question.item.id
        if isinstance(outcome, Rejection):
            failures += 1
            explanation = outcome.evidence.get("explanation")
        else:
            attribute = f"{question.which}_score" if question.kind == "score" else question.which
            setattr(by_id[item_id], attribute, outcome.value)
            explanation = outcome.explanation
        if explanation is not None:
            reasons[item_id][question.slot] = explanation
    for item_id, judgement in by_id.items():  # in the order the questions are asked, as reports show
        judgement.reasons = {slot: reasons[item_id][slot] for slot in SLOTS if slot in reasons[item_id]}
    return [by_id[item.id] for item in items], failures
