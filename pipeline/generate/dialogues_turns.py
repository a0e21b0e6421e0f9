"""Running dialogues turn by turn: every live dialogue's asking request for a turn goes out as
one batch, then every answering request, so the endpoint's concurrency is used across entries."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipeline.config import LLMConfig
from pipeline.generate.dialogues_prompts import answerer_messages, asker_messages, focus_values
from pipeline.generate.dialogues_templates import DialogueTemplate, turn_schema
from pipeline.kb.entry import KBEntry
from pipeline.llm.client import ChatRequest
from pipeline.llm.endpoint import Endpoint, run_requests
from pipeline.llm.journal import Journal

MIN_TURN_CHARS, MAX_ASK_CHARS, MAX_ANSWER_CHARS = 20, 400, 600
MIN_SAFETY_CHARS, MAX_SAFETY_CHARS = 10, 300
LLM_COUNTERS = ("requests_sent", "journal_hits", "quarantined", "prompt_tokens", "completion_tokens")
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass
class DialoguePlan:
    entry: KBEntry
    sample_index: int
    template: DialogueTemplate


@dataclass
class DialogueDraft:
    plan: DialoguePlan
    asks: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    request_keys: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    failure: str | None = None  # stable code when a turn could not be produced
    failure_detail: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, str]:
        return focus_values(self.plan.entry, self.plan.sample_index)


def parse_turn(text: str, key: str, extra: str | None = None) -> str | None:
    """The turn's text from a JSON answer (raw newlines allowed), with the `extra` field (the
    safety note) appended; plain prose when an endpoint ignored the schema; None when it is
    JSON without the field."""
    stripped = text.strip()
    candidates = [stripped] + [m.group(0) for m in _OBJECT.finditer(stripped)]
    for candidate in candidates:
        try:
            data = json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            value = data.get(key)
            if not isinstance(value, str):
                return None
            note = data.get(extra) if extra else None
            return " ".join(p.strip() for p in (value, note) if isinstance(p, str) and p.strip())
    return None if stripped.startswith("{") else stripped


def _fields(plan: DialoguePlan, turn: int, side: str) -> tuple[str, str | None]:
    template = plan.template
    if side == "ask":
        return template.asker_key, None
    return template.answer_key, template.safety_key if template.turns[turn].safety else None


def _request(plan: DialoguePlan, turn: int, side: str, messages: list[dict[str, str]]) -> ChatRequest:
    key, extra = _fields(plan, turn, side)
    fields = [(key, MIN_TURN_CHARS, MAX_ASK_CHARS if side == "ask" else MAX_ANSWER_CHARS)]
    if extra:
        fields.append((extra, MIN_SAFETY_CHARS, MAX_SAFETY_CHARS))
    return ChatRequest(messages=messages, template_version=plan.template.tag,
                       sample_index=plan.sample_index, json_schema=turn_schema(*fields),
                       tag=f"{plan.entry.id}:{plan.sample_index}:{turn}:{side}")


def _run_side(drafts: list[DialogueDraft], turn: int, side: str, endpoint: Endpoint, llm: LLMConfig,
              journal: Journal, usage: Counter[str]) -> None:
    requests = []
    for draft in drafts:
        plan, values = draft.plan, draft.values
        if side == "ask":
            previous = draft.answers[-1] if draft.answers else ""
            messages = asker_messages(plan.template, turn, values, previous)
        else:
            history = list(zip(draft.asks, draft.answers))
            messages = answerer_messages(plan.template, turn, values, plan.entry, history, draft.asks[-1])
        requests.append(_request(plan, turn, side, messages))
    if not requests:
        return
    results, stats = run_requests(endpoint, llm, journal, requests)
    for key in LLM_COUNTERS:
        usage[key] += stats.as_dict().get(key, 0) or 0
    for draft, result in zip(drafts, results):
        if not result.ok:
            draft.failure = "quarantined"
            draft.failure_detail = {"turn": turn + 1, "side": side, "error": result.error}
            continue
        text = parse_turn(result.text or "", *_fields(draft.plan, turn, side))
        if text is None:
            draft.failure = "truncated" if result.finish_reason == "length" else "unparseable"
            draft.failure_detail = {"turn": turn + 1, "side": side, "text": (result.text or "")[:300]}
            continue
        (draft.asks if side == "ask" else draft.answers).append(text)
        draft.request_keys.append(result.key)
        draft.finish_reason = result.finish_reason


def run_turns(plans: list[DialoguePlan], turns: int, endpoint: Endpoint, llm: LLMConfig,
              journal: Journal, usage: Counter[str]) -> list[DialogueDraft]:
    drafts = [DialogueDraft(plan) for plan in plans]
    for turn in range(turns):
        for side in ("ask", "answer"):
            live = [d for d in drafts if d.failure is None]
            _run_side(live, turn, side, endpoint, llm, journal, usage)
    return drafts
