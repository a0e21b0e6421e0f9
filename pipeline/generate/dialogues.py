"""ChatDoctor-style dialogues grounded in a knowledge base, one entry at a time.

Round by round, the entries with the fewest kept dialogues get the next attempt, until the
target is kept or every entry has used its attempts. Each dialogue is checked (turns present,
no instruction-like text, the patient does not name the diagnosis) and then grounded against
its entry; every dropped dialogue is kept with its reason and evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.config import LLMConfig
from pipeline.generate.dialogues_dedup import DialogueDedup
from pipeline.generate.dialogues_grounding import ForeignIndex, check_grounding, check_turns, has_safety_note
from pipeline.generate.dialogues_templates import template_for
from pipeline.generate.dialogues_turns import DialogueDraft, DialoguePlan, run_turns
from pipeline.kb.entry import KBEntry
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal import Journal
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message, RejectedRecord

GENERATOR = "kb_dialogue"
DialogueOut = AlpacaRecord | DialogueRecord


class DialogueConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turns: Literal[1, 3] = Field(default=1, description="1: Alpaca records; 3: `messages` records")
    target: int = Field(default=40, ge=1, description="Grounded dialogues wanted")
    max_attempts_per_entry: int = Field(default=3, ge=1)
    max_dialogues: int | None = Field(default=None, ge=1, description="Attempt cap (default 3 × target)")
    regenerate: bool = Field(default=False, description="All active entries, not only new/changed ones")
    rouge_threshold: float = Field(default=0.7, ge=0, le=1, description="Near-duplicate dialogues "
                                   "(ROUGE-L of the whole conversation above this) are dropped")

    @property
    def kind(self) -> str:
        """Dialogues of different shapes are tracked apart in the store."""
        return f"turns{self.turns}"


@dataclass
class DialogueRun:
    kept: list[DialogueOut] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)  # per entry id
    kept_per_entry: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    llm: Counter[str] = field(default_factory=Counter)
    with_safety_note: int = 0
    rounds: int = 0

    @property
    def candidates(self) -> int:
        return sum(self.attempts.values())

    def summary(self) -> dict:
        tried = self.candidates
        return {"attempted": tried, "kept": len(self.kept), "rejected": dict(self.reasons),
                "grounded_rate": round(len(self.kept) / tried, 3) if tried else None,
                "safety_note_rate": round(self.with_safety_note / len(self.kept), 3) if self.kept else None,
                "rounds": self.rounds, "llm": dict(self.llm)}


def build_record(draft: DialogueDraft, turns: int, model: str, llm: LLMConfig, build: str | None) -> DialogueOut:
    plan = draft.plan
    lineage = Lineage(
        generator=GENERATOR, template=plan.template.name, template_version=plan.template.tag,
        model=model, sampling={"temperature": llm.temperature, "top_p": llm.top_p,
                               "max_tokens": llm.max_tokens, "seed": llm.seed,
                               "sample_index": plan.sample_index},
        kb_entry_id=plan.entry.id, request_key=draft.request_keys[-1] if draft.request_keys else None,
        finish_reason=draft.finish_reason, build=build, language=plan.entry.language,
    )
    if turns == 1:
        return AlpacaRecord(instruction=plan.template.role_instruction, input=draft.asks[0],
                            output=draft.answers[0], lineage=lineage)
    messages = [Message(role="system", content=plan.template.role_instruction)]
    for ask, answer in zip(draft.asks, draft.answers):
        messages += [Message(role="user", content=ask), Message(role="assistant", content=answer)]
    return DialogueRecord(messages=messages, lineage=lineage)


def _draft_dump(draft: DialogueDraft) -> dict:
    return {"kb_entry_id": draft.plan.entry.id, "entry": draft.plan.entry.name,
            "sample_index": draft.plan.sample_index, "asks": draft.asks, "answers": draft.answers}


def judge(draft: DialogueDraft, index: ForeignIndex, record: DialogueOut | None,
          dedup: DialogueDedup) -> RejectedRecord | None:
    """None to keep; otherwise the rejection with its step, reason and evidence."""
    if draft.failure is not None or record is None:
        return RejectedRecord(record=_draft_dump(draft), step="generate",
                              reason=draft.failure or "incomplete", evidence=draft.failure_detail)
    dump = record.model_dump(mode="json")
    entry = draft.plan.entry
    for step, verdict in (("checks", check_turns(entry, draft.asks, draft.answers)),
                          ("grounding", check_grounding(entry, draft.answers, index))):
        if verdict is not None:
            return RejectedRecord(record=dump, step=step, reason=verdict[0], evidence=verdict[1])
    return dedup.check(record)  # last: only a dialogue that is kept may shadow later ones


def plan_round(pending: list[KBEntry], run: DialogueRun, config: DialogueConfig,
               prior_attempts: dict[str, int]) -> list[DialoguePlan]:
    budget = (config.max_dialogues or 3 * config.target) - run.candidates
    order = {entry.id: n for n, entry in enumerate(pending)}
    eligible = [e for e in pending if run.attempts[e.id] < config.max_attempts_per_entry]
    eligible.sort(key=lambda e: (run.kept_per_entry[e.id], run.attempts[e.id], order[e.id]))
    size = max(0, min(len(eligible), config.target - len(run.kept), budget))
    return [DialoguePlan(e, prior_attempts.get(e.id, 0) + run.attempts[e.id],
                         template_for(e.domain, e.language)) for e in eligible[:size]]


def generate_dialogues(
    pending: list[KBEntry], kb_entries: list[KBEntry], config: DialogueConfig, llm: LLMConfig,
    endpoint: Endpoint, journal: Journal, *, prior_attempts: dict[str, int] | None = None,
    existing: list[DialogueOut] | None = None, build: str | None = None,
    on_round: Callable[[DialogueRun], None] | None = None,
) -> DialogueRun:
    """`pending`: entries to write dialogues for; `kb_entries`: the whole KB, whose other
    entries' conditions and drugs an answer must not borrow."""
    index = ForeignIndex(kb_entries)
    dedup = DialogueDedup(config.rouge_threshold)
    dedup.add_existing(existing or [])
    run = DialogueRun()
    prior = prior_attempts or {}
    while len(run.kept) < config.target:
        plans = plan_round(pending, run, config, prior)
        if not plans:
            break
        run.rounds += 1
        for plan in plans:
            run.attempts[plan.entry.id] += 1
        for draft in run_turns(plans, config.turns, endpoint, llm, journal, run.llm):
            record = None if draft.failure else build_record(draft, config.turns, endpoint.model, llm, build)
            rejected = judge(draft, index, record, dedup)
            if rejected is not None:
                run.rejected.append(rejected)
                run.reasons[rejected.reason] += 1
                continue
            assert record is not None
            run.kept.append(record)
            run.kept_per_entry[draft.plan.entry.id] += 1
            run.with_safety_note += has_safety_note(draft.answers)
        if on_round:
            on_round(run)
    return run
