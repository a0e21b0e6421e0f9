"""`QualityScoreStep`: the LLM step that rates one record against the rubric, 1 to 5.

One request per record, with a JSON schema (a reason, then the score). Greedy and seeded (the
caller's `ScoreConfig.judge_llm`), so the same records ask the same requests and a rerun is
answered from the journal. An answer that holds no usable score is a `Rejection`: the caller
keeps the record unscored, it never drops data for it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection, answer_json, answer_text, unanswered, was_cut
from pipeline.records import QualityScore, Record
from pipeline.score.prompts import REASON_CHARS, SCORE_SCHEMA, TEMPLATE_VERSION, Order, render_messages
from pipeline.score.rubric import BUILTIN_RUBRIC, Rubric

__all__ = ["QualityScore", "QualityScoreStep", "read_score"]

_SCORE_IN_TEXT = re.compile(r"score\W{0,4}(\d+)", re.IGNORECASE)


def read_score(value: Any, text: str | None) -> tuple[int | None, str, Any]:
    """(score 1-5 or None, reason, what was found as the score) from an answer's JSON value,
    else from "score: N" in its text."""
    data = value if isinstance(value, dict) else {}
    reason = data.get("reason")
    reason = " ".join(reason.split())[:REASON_CHARS] if isinstance(reason, str) else ""
    raw = data.get("score")
    if raw is None and text:
        match = _SCORE_IN_TEXT.search(text)
        raw = int(match.group(1)) if match else None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 5:
        return raw, reason, raw
    return None, reason, raw


@dataclass
class QualityScoreStep:
    """Record → `QualityScore`. `order` says how the record is shown (the consistency check
    re-asks with `output_first`); `rubric` holds the texts per language."""

    judge_model: str
    rubric: Rubric = field(default_factory=lambda: BUILTIN_RUBRIC)
    order: Order = "instruction_first"
    answer_chars: int = 1200
    name: str = "score"
    max_reasks: int | None = 1  # a cheap answer: one re-ask, then the record stays unscored

    def request(self, record: Record) -> ChatRequest:
        return ChatRequest(
            messages=render_messages(record, self.rubric, self.order, self.answer_chars),
            template_version=f"{TEMPLATE_VERSION}:{self.rubric.tag}:{self.order}",
            json_schema=SCORE_SCHEMA,
            tag=f"{self.order}:{record.id}",
        )

    def requests(self, items: Sequence[Record]) -> list[ChatRequest]:
        return [self.request(record) for record in items]

    def parse(self, item: Record, answer: ChatResult) -> QualityScore | Rejection:
        # a quarantined structured answer (a reason over 200 characters, say) may still hold a
        # valid score in its raw text: read it before giving up
        text, _ = answer_text(answer)
        if text is None:
            return unanswered(answer)
        score, reason, raw = read_score(answer_json(answer), text)
        if score is not None:
            return QualityScore(score=score, reason=reason, judge=self.judge_model, rubric=self.rubric.tag)
        if raw is not None:
            code = "score_out_of_range"
        else:
            code = "truncated" if was_cut(answer) else "unparseable"
        return Rejection(code, {"score": raw, "text": text[:300], "error": answer.error})
