"""A finished draft as a record: an Alpaca triple (one turn) or a `messages` record (three
turns), with the lineage that ties it to its KB entry, template, model and request."""

from __future__ import annotations

from typing import Any

from pipeline.generate.dialogues.turns import DialogueDraft
from pipeline.llm.config import LLMConfig
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message

KB_DIALOGUE_GENERATOR = "kb_dialogue"
DialogueOut = AlpacaRecord | DialogueRecord


def build_record(
    draft: DialogueDraft, turns: int, model: str, llm: LLMConfig, build: str | None
) -> DialogueOut:
    plan = draft.plan
    lineage = Lineage(
        generator=KB_DIALOGUE_GENERATOR,
        template=plan.template.name,
        template_version=plan.template.tag,
        model=model,
        sampling={
            "temperature": llm.temperature,
            "top_p": llm.top_p,
            "max_tokens": llm.max_tokens,
            "seed": llm.seed,
            "sample_index": plan.sample_index,
        },
        kb_entry_id=plan.entry.id,
        request_key=draft.request_keys[-1] if draft.request_keys else None,
        finish_reason=draft.finish_reason,
        build=build,
        language=plan.entry.language,
        # a KB entry names no task category (its `domain` is a subject area): a patient's or a
        # customer's questions answered from knowledge are open QA
        category="open_qa",
        category_source="default",
    )
    if turns == 1:
        return AlpacaRecord(
            instruction=plan.template.role_instruction,
            input=draft.asks[0],
            output=draft.answers[0],
            lineage=lineage,
        )
    messages = [Message(role="system", content=plan.template.role_instruction)]
    for ask, answer in zip(draft.asks, draft.answers, strict=True):
        messages += [Message(role="user", content=ask), Message(role="assistant", content=answer)]
    return DialogueRecord(messages=messages, lineage=lineage)


def draft_dump(draft: DialogueDraft) -> dict[str, Any]:
    """What a draft that never became a record is kept as among the rejections."""
    return {
        "kb_entry_id": draft.plan.entry.id,
        "entry": draft.plan.entry.name,
        "sample_index": draft.plan.sample_index,
        "asks": draft.asks,
        "answers": draft.answers,
    }
