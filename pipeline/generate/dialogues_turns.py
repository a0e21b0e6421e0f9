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

MIN_TURN_CHARS = 20
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


def parse_turn(text: str, key: str) -> str | None:
    """The turn's text from a JSON answer (raw newlines allowed), or from plain prose when an
    endpoint ignored the schema; None when it is JSON without the field."""
    stripped = text.strip()
    candidates = [stripped] + [m.group(0) for m in _OBJECT.finditer(stripped)]
    for candidate in candidates:
        try:
            data = json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            value = data.get(key)
            return value.strip() if isinstance(value, str) else None
    return None if stripped.startswith("{") else stripped


def _request(plan: DialoguePlan, turn: int, side: str, messages: list[dict[str, str]]) -> ChatRequest:
    template = plan.template
    key = template.asker_key if side == "ask" else template.answer_key
    return ChatRequest(messages=messages, template_version=template.tag,
                       sample_index=plan.sample_index, json_schema=turn_schema(key, MIN_TURN_CHARS),
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
        field_name = draft.plan.template.asker_key if side == "ask" else draft.plan.template.answer_key
        if not result.ok:
            draft.failure = "quarantined"
            draft.failure_detail = {"turn": turn + 1, "side": side, "error": result.error}
            continue
        text = parse_turn(result.text or "", field_name)
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
