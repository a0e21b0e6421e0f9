"""ChatDoctor-style dialogues grounded in a knowledge base, one entry at a time.

Round by round, the entries with the fewest kept dialogues get the next attempt, until the
target is kept or every entry has used its attempts. Each dialogue is checked (turns present,
no instruction-like text, the patient does not name the diagnosis but describes at least one
of its symptoms), grounded against its entry, put through curation's answer and structure
checks, redacted of PII, and compared with the dialogues kept before; every dropped dialogue
is kept with its step, reason and evidence."""

from __future__ import annotations

import time
from collections.abc import Callable

from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.generate.dialogues.curation import DialogueCuration
from pipeline.generate.dialogues.dedup import DialogueDedup
from pipeline.generate.dialogues.grounding import ForeignIndex, check_grounding, check_turns, has_safety_note
from pipeline.generate.dialogues.records import DialogueOut, build_record, draft_dump
from pipeline.generate.dialogues.result import DialogueRun
from pipeline.generate.dialogues.templates import template_for
from pipeline.generate.dialogues.turns import DialogueDraft, DialoguePlan, run_turns
from pipeline.kb.entry import KBEntry
from pipeline.llm.config import LLMConfig
from pipeline.llm.endpoint import Endpoint
from pipeline.llm.journal_api import JournalStore
from pipeline.llm.request import BUDGET_EXHAUSTED
from pipeline.llm.step import StepRunner
from pipeline.records import RejectedRecord
from pipeline.stage import INPUT_EXHAUSTED, MAX_REQUESTS, TARGET_REACHED


def review(
    draft: DialogueDraft,
    index: ForeignIndex,
    record: DialogueOut | None,
    dedup: DialogueDedup,
    curation: DialogueCuration,
) -> DialogueOut | RejectedRecord:
    """The record to keep (PII redacted), or the rejection with its step, reason and evidence."""
    if draft.failure is not None or record is None:
        return RejectedRecord(
            record=draft_dump(draft),
            step="generate",
            reason=draft.failure or "incomplete",
            evidence=draft.failure_detail,
        )
    dump = record.model_dump(mode="json")
    entry = draft.plan.entry
    for step, verdict in (
        ("checks", check_turns(entry, draft.asks, draft.answers)),
        ("grounding", check_grounding(entry, draft.answers, index)),
    ):
        if verdict is not None:
            return RejectedRecord(record=dump, step=step, reason=verdict[0], evidence=verdict[1])
    curated = curation.curate(record)
    if curated.rejected is not None:
        return curated.rejected
    # last: only a dialogue that is kept may shadow later ones
    return dedup.check(curated.record) or curated.record


def plan_round(
    pending: list[KBEntry], run: DialogueRun, config: DialogueConfig, prior_attempts: dict[str, int]
) -> list[DialoguePlan]:
    budget = config.attempt_cap - run.candidates
    order = {entry.id: n for n, entry in enumerate(pending)}
    eligible = [e for e in pending if run.attempts[e.id] < config.max_attempts_per_entry]
    eligible.sort(key=lambda e: (run.kept_per_entry[e.id], run.attempts[e.id], order[e.id]))
    size = max(0, min(len(eligible), config.target - len(run.kept), budget))
    return [
        DialoguePlan(e, prior_attempts.get(e.id, 0) + run.attempts[e.id], template_for(e.domain, e.language))
        for e in eligible[:size]
    ]


def stop_reason(run: DialogueRun, config: DialogueConfig) -> str:
    if len(run.kept) >= config.target:
        return TARGET_REACHED
    if run.usage.budget_exhausted:
        return BUDGET_EXHAUSTED
    return MAX_REQUESTS if run.candidates >= config.attempt_cap else INPUT_EXHAUSTED


def generate_dialogues(
    pending: list[KBEntry],
    kb_entries: list[KBEntry],
    config: DialogueConfig,
    llm: LLMConfig,
    endpoint: Endpoint,
    journal: JournalStore,
    *,
    prior_attempts: dict[str, int] | None = None,
    existing: list[DialogueOut] | None = None,
    build: str | None = None,
    on_round: Callable[[DialogueRun], None] | None = None,
) -> DialogueRun:
    """`pending`: entries to write dialogues for; `kb_entries`: the whole KB, whose other
    entries' conditions and drugs an answer must not borrow."""
    started = time.monotonic()
    index = ForeignIndex(kb_entries)
    dedup = DialogueDedup(config.rouge_threshold)
    dedup.add_existing(existing or [])
    run = DialogueRun(curation=DialogueCuration.from_config(config))
    runner = StepRunner(endpoint, llm, journal, usage=run.usage)
    prior = prior_attempts or {}
    while len(run.kept) < config.target:
        plans = plan_round(pending, run, config, prior)
        if not plans:
            break
        run.rounds += 1
        for plan in plans:
            run.attempts[plan.entry.id] += 1
        for draft in run_turns(plans, config.turns, runner):
            record = None if draft.failure else build_record(draft, config.turns, endpoint.model, llm, build)
            reviewed = review(draft, index, record, dedup, run.curation)
            if isinstance(reviewed, RejectedRecord):
                run.rejected.append(reviewed)
                continue
            run.kept.append(reviewed)
            run.kept_per_entry[draft.plan.entry.id] += 1
            run.with_safety_note += has_safety_note(draft.answers)
        if on_round:
            on_round(run)
    run.stop_reason = stop_reason(run, config)
    run.seconds = time.monotonic() - started
    return run
