"""Running dialogues turn by turn: every live dialogue's asking request for a turn goes out as
one batch, then every answering request, so the endpoint's concurrency is used across entries.

Each side of a turn is an LLM step (`TurnStep`) run by the stage's `StepRunner`, which sends
the batch through the journal and counts the usage; the step only builds the requests and
says what each answer means for its dialogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.generate.dialogues.prompts import answerer_messages, asker_messages, focus_values
from pipeline.generate.dialogues.templates.base import DialogueTemplate, turn_schema
from pipeline.kb.entry import KBEntry
from pipeline.llm.request import ChatRequest, ChatResult
from pipeline.llm.step import Rejection, StepRunner, answer_json, was_cut

MIN_TURN_CHARS, MAX_ASK_CHARS, MAX_ANSWER_CHARS = 20, 400, 600
MIN_SAFETY_CHARS, MAX_SAFETY_CHARS = 10, 300
Side = Literal["ask", "answer"]
TURN_SIDES: tuple[Side, ...] = ("ask", "answer")


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


@dataclass(frozen=True)
class TurnText:
    """One side's message for one turn, with the answer it came from (for lineage)."""

    text: str
    request_key: str
    finish_reason: str | None


def turn_text(data: Any, text: str, key: str, extra: str | None = None) -> str | None:
    """The turn's text from the answer's JSON value `data` (the `extra` field, the safety note,
    appended); the plain answer `text` when an endpoint ignored the schema; None when the
    answer is JSON without the field."""
    if isinstance(data, dict):
        value = data.get(key)
        if not isinstance(value, str):
            return None
        note = data.get(extra) if extra else None
        return " ".join(p.strip() for p in (value, note) if isinstance(p, str) and p.strip())
    stripped = text.strip()
    return None if stripped.startswith("{") else stripped


_SENTENCE_END = tuple(".!?。！？…)）\"”'")


def cut_by_schema(data: Any, limits: list[tuple[str, int, int]]) -> str | None:
    """The field a schema's maxLength cut mid-sentence, if any: a value of exactly the maximum
    that does not end like a sentence was stopped by the grammar, not by the model."""
    if not isinstance(data, dict):
        return None
    for key, _low, high in limits:
        value = data.get(key)
        if isinstance(value, str) and len(value) >= high and not value.rstrip().endswith(_SENTENCE_END):
            return key
    return None


@dataclass
class TurnStep:
    """One side of one turn, for every live dialogue."""

    turn: int  # 0-based
    side: Side
    name: str = field(init=False)  # usage is counted per side
    max_reasks: int | None = None  # the LLM config's re-asks

    def __post_init__(self) -> None:
        self.name = f"dialogue_{self.side}"

    def fields(self, template: DialogueTemplate) -> tuple[str, str | None]:
        """The JSON field this side writes, and the safety-note field when its answer has one."""
        if self.side == "ask":
            return template.asker_key, None
        return template.answer_key, template.safety_key if template.turns[self.turn].safety else None

    def messages(self, draft: DialogueDraft) -> list[dict[str, str]]:
        plan = draft.plan
        if self.side == "ask":
            previous = draft.answers[-1] if draft.answers else ""
            return asker_messages(plan.template, self.turn, draft.values, previous)
        history = list(zip(draft.asks, draft.answers, strict=False))  # the pending ask has no answer yet
        return answerer_messages(plan.template, self.turn, draft.values, plan.entry, history, draft.asks[-1])

    def limits(self, template: DialogueTemplate) -> list[tuple[str, int, int]]:
        """(field, min, max characters) of the answer's schema."""
        key, extra = self.fields(template)
        fields = [(key, MIN_TURN_CHARS, MAX_ASK_CHARS if self.side == "ask" else MAX_ANSWER_CHARS)]
        if extra:
            fields.append((extra, MIN_SAFETY_CHARS, MAX_SAFETY_CHARS))
        return fields

    def request(self, draft: DialogueDraft) -> ChatRequest:
        plan = draft.plan
        fields = self.limits(plan.template)
        return ChatRequest(
            messages=self.messages(draft),
            template_version=plan.template.tag,
            sample_index=plan.sample_index,
            json_schema=turn_schema(*fields),
            tag=f"{plan.entry.id}:{plan.sample_index}:{self.turn}:{self.side}",
        )

    def requests(self, items: Sequence[DialogueDraft]) -> list[ChatRequest]:
        return [self.request(draft) for draft in items]

    def parse(self, item: DialogueDraft, answer: ChatResult) -> TurnText | Rejection:
        where = {"turn": self.turn + 1, "side": self.side}
        if not answer.ok:
            return Rejection("quarantined", {**where, "error": answer.error})
        raw = answer.text or ""
        data = answer_json(answer)
        text = turn_text(data, raw, *self.fields(item.plan.template))
        if text is None:
            return Rejection("truncated" if was_cut(answer) else "unparseable", {**where, "text": raw[:300]})
        cut = cut_by_schema(data, self.limits(item.plan.template))
        if cut is not None:  # the grammar closed the string at its maximum: finish_reason says stop
            return Rejection("cut_at_schema_limit", {**where, "field": cut, "text": raw[:300]})
        return TurnText(text, answer.key, answer.finish_reason)


def run_side(step: TurnStep, drafts: list[DialogueDraft], runner: StepRunner) -> None:
    """Ask one side of a turn for every draft; a draft whose answer is unusable fails."""
    output = runner.run(step, drafts)
    for draft, said in output.parsed:
        (draft.asks if step.side == "ask" else draft.answers).append(said.text)
        draft.request_keys.append(said.request_key)
        draft.finish_reason = said.finish_reason
    for draft, rejection in output.rejected:
        draft.failure, draft.failure_detail = rejection.reason, rejection.evidence


def run_turns(plans: list[DialoguePlan], turns: int, runner: StepRunner) -> list[DialogueDraft]:
    drafts = [DialogueDraft(plan) for plan in plans]
    for turn in range(turns):
        for side in TURN_SIDES:
            run_side(TurnStep(turn, side), [d for d in drafts if d.failure is None], runner)
    return drafts
