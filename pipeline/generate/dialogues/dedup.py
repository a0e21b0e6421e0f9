"""Exact and near-duplicate dialogues, through the curation stage's Curator. What is compared
is the whole conversation — asking and answering turns — not the fixed role instruction that
every single-turn record shares (it would make all of them look alike)."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.curate.config import CurateConfig, Step
from pipeline.curate.curator import Curator
from pipeline.records import AlpacaRecord, DialogueRecord, Message, RejectedRecord

DEDUP_STEPS: tuple[Step, ...] = ("exact", "novelty")


def conversation_text(record: AlpacaRecord | DialogueRecord) -> str:
    if isinstance(record, AlpacaRecord):
        return f"{record.input}\n{record.output}"
    return "\n".join(m.content for m in record.messages if m.role != "system")


def _view(record: AlpacaRecord | DialogueRecord) -> DialogueRecord:
    """The record as the Curator compares it: the conversation as one prompt-side text."""
    return DialogueRecord(
        id=record.id,
        lineage=record.lineage,
        messages=[
            Message(role="user", content=conversation_text(record)),
            Message(role="assistant", content=""),
        ],
    )


class DialogueDedup:
    def __init__(self, rouge_threshold: float = 0.7):
        config = CurateConfig(steps=list(DEDUP_STEPS), rouge_threshold=rouge_threshold)
        self.curator = Curator(config, steps=DEDUP_STEPS)

    def add_existing(self, records: Iterable[AlpacaRecord | DialogueRecord]) -> None:
        """Dialogues already in the output: new ones must differ from them too."""
        for record in records:
            self.curator.add_reference(record.id, conversation_text(record))

    def check(self, record: AlpacaRecord | DialogueRecord) -> RejectedRecord | None:
        rejected = self.curator.consider_one(_view(record))
        if rejected is None:
            return None
        return rejected.model_copy(update={"record": record.model_dump(mode="json"), "step": "dedup"})
