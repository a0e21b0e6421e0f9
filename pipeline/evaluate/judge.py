"""An LLM judge through any OpenAI-compatible endpoint, with structured (JSON-schema) output.

Two kinds of judgement per item:
- pointwise: each answer alone gets 0-10 under its category's rubric (reported as 0-1); the
  reference is shown only for categories that are not open-ended;
- pairwise: base vs tuned side by side, asked twice with the order swapped. A judge that
  prefers whichever answer comes first then produces a tie instead of a false win.
An answer the judge gets wrong in form (unparseable, quarantined) is counted, never fatal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pipeline.evaluate.evalsets import EvalItem
from pipeline.evaluate.rubrics import rubric_for
from pipeline.llm.client import ChatRequest, ChatResult

TEMPLATE_VERSION = "judge-v2"
SYSTEM = ("You are a strict, fair grader of answers to instructions. The texts may be in any "
          "language. Judge correctness and usefulness, not length or style. Reply in JSON only.")
_REASON = {"type": "string", "maxLength": 240}
SCORE_SCHEMA = {
    "type": "object",
    "properties": {"reason": _REASON, "score": {"type": "integer", "enum": list(range(11))}},
    "required": ["reason", "score"],
}
PAIR_SCHEMA = {
    "type": "object",
    "properties": {"reason": _REASON, "winner": {"type": "string", "enum": ["A", "B", "tie"]}},
    "required": ["reason", "winner"],
}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " …[cut]"


def _task_block(item: EvalItem, limit: int) -> list[str]:
    rubric = rubric_for(item.category)
    lines = [f"Task category: {item.category}", f"Criteria: {rubric.criteria}", "",
             "## Instruction", _clip(item.instruction, limit)]
    if item.input:
        lines += ["", "## Input", _clip(item.input, limit)]
    if item.reference and not rubric.open_ended:
        lines += ["", "## Reference answer", _clip(item.reference, limit)]
    return lines


def score_request(item: EvalItem, answer: str, side: str, limit: int = 1500) -> ChatRequest:
    lines = _task_block(item, limit) + [
        "", "## Answer to grade", _clip(answer, limit) or "(empty answer)", "",
        "Grade the answer from 0 (wrong, off-task or empty) to 10 (fully correct and helpful). "
        'Reply as JSON with "reason" (one short sentence of your own) and "score" (0-10).',
    ]
    return ChatRequest(
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}],
        template_version=f"{TEMPLATE_VERSION}-score", json_schema=SCORE_SCHEMA, tag=f"score:{side}:{item.id}",
    )


def pair_request(item: EvalItem, first: str, second: str, order: str, limit: int = 1500) -> ChatRequest:
    lines = _task_block(item, limit) + [
        "", "## Answer A", _clip(first, limit) or "(empty answer)",
        "", "## Answer B", _clip(second, limit) or "(empty answer)", "",
        "Which answer carries out the instruction better? Ignore which one comes first. "
        'Reply as JSON with "reason" (one short sentence of your own) and "winner" ("A", "B" or "tie").',
    ]
    return ChatRequest(
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(lines)}],
        template_version=f"{TEMPLATE_VERSION}-pair", json_schema=PAIR_SCHEMA, tag=f"pair:{order}:{item.id}",
    )


def judge_requests(items: list[EvalItem], base: list[str], tuned: list[str],
                   limit: int = 1500) -> list[ChatRequest]:
    """Per item: base and tuned graded alone, then the pair in both orders."""
    requests = []
    for item, base_answer, tuned_answer in zip(items, base, tuned):
        requests += [
            score_request(item, base_answer, "base", limit),
            score_request(item, tuned_answer, "tuned", limit),
            pair_request(item, base_answer, tuned_answer, "base_first", limit),
            pair_request(item, tuned_answer, base_answer, "tuned_first", limit),
        ]
    return requests


def _as_json(text: str) -> dict[str, Any] | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start:end + 1], strict=False)  # raw newlines inside strings
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _field(text: str, key: str, fallback: str) -> Any:
    """A field of the reply's JSON object, else what `fallback` finds in free text."""
    data = _as_json(text)
    raw = data.get(key) if data else None
    if raw is None:
        match = re.search(fallback, text, re.IGNORECASE)
        raw = match.group(1) if match else None
    return raw


def parse_score(text: str | None) -> float | None:
    """0-1, or None when the reply holds no usable score."""
    if not text:
        return None
    raw = _field(text, "score", r"score\W{0,4}(\d+(?:\.\d+)?)")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return round(value / 10, 3) if 0 <= value <= 10 else None


def parse_winner(text: str | None) -> str | None:
    """"A", "B", "tie", or None."""
    if not text:
        return None
    raw = _field(text, "winner", r"winner\W{0,4}(A|B|tie)\b")
    if not isinstance(raw, str):
        return None
    raw = raw.strip().strip("\"'").lower()
    return {"a": "A", "b": "B", "tie": "tie"}.get(raw)


@dataclass
class ItemJudgement:
    base_score: float | None = None
    tuned_score: float | None = None
    tuned_first: str | None = None  # winner with the tuned answer shown as A
    base_first: str | None = None   # winner with the base answer shown as A
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


def collect_judgements(items: list[EvalItem], results: list[ChatResult]) -> tuple[list[ItemJudgement], int]:
    """Judgements per item (in item order) and the number of replies that were unusable."""
    by_id = {item.id: ItemJudgement(reasons={}) for item in items}
    failures = 0
    for result in results:
        kind, which, item_id = result.request.tag.split(":", 2)
        judgement = by_id[item_id]
        data = _as_json(result.text or "") or {}
        if isinstance(data.get("reason"), str):
            assert judgement.reasons is not None
            judgement.reasons[f"{kind}:{which}"] = data["reason"][:300]
        if kind == "score":
            value = parse_score(result.text)
            setattr(judgement, f"{which}_score", value)
        else:
            value = parse_winner(result.text)
            setattr(judgement, which, value)
        failures += value is None
    return [by_id[item.id] for item in items], failures
