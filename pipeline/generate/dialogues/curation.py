"""Curation's record-level steps on a finished dialogue, as self-instruct records get them in
`pipeline.curate`: the answer checks (`output_checks`) and the structural checks that apply to
chat turns (`structure`; prompt leakage in the answers) on the generated turns, then PII
redaction with typed placeholders (`[EMAIL]`, `[PHONE]`, …) on every message.

Both record shapes are checked as a conversation: a one-turn dialogue is stored as an Alpaca
triple whose instruction is the template's fixed role text, and the Alpaca-only structure rules
(fragment, not-a-task, answer type) would judge that role text as if it were a generated task.
The system message is left out of the checks for the same reason (it is our template, not
generated text) but is redacted like every other message. A rejection names the field of the
stored record (`output`, `messages[3]`), as curation's own rejections do."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pipeline.curate.config import OutputCheckConfig, PIIConfig, StructureConfig
from pipeline.curate.output_checks import check_outputs
from pipeline.curate.pii import redact_record
from pipeline.curate.structure import check_structure
from pipeline.curate.structure.leakage import leaked
from pipeline.curate.verdict import Verdict
from pipeline.curate.views import answers_of
from pipeline.generate.dialogues.config import DialogueConfig
from pipeline.records import AlpacaRecord, DialogueRecord, Message, RejectedRecord

DialogueOut = AlpacaRecord | DialogueRecord

# a one-turn record's fields as the conversation view numbers them (no system message)
_ALPACA_FIELDS = {"messages[0]": "input", "messages[1]": "output"}


@dataclass(frozen=True)
class CuratedDialogue:
    record: DialogueOut  # as it is kept: PII redacted
    rejected: RejectedRecord | None


@dataclass
class DialogueCuration:
    """The steps the dialogue config turns on, with what they found over a run."""

    output_checks: bool = True
    structure: bool = True
    pii: bool = True
    output_config: OutputCheckConfig = field(default_factory=OutputCheckConfig)
    structure_config: StructureConfig = field(default_factory=StructureConfig)
    pii_config: PIIConfig = field(default_factory=PIIConfig)
    pii_found: Counter[str] = field(default_factory=Counter)  # by type, over every message
    records_redacted: int = 0

    @classmethod
    def from_config(cls, config: DialogueConfig) -> DialogueCuration:
        return cls(output_checks=config.output_checks, structure=config.structure_checks, pii=config.pii)

    @property
    def steps(self) -> list[str]:
        chosen = (("output_checks", self.output_checks), ("structure", self.structure), ("pii", self.pii))
        return [name for name, on in chosen if on]

    def curate(self, record: DialogueOut) -> CuratedDialogue:
        """The record checked (the rejection, with step, reason and evidence) or kept, redacted."""
        view = conversation_view(record)
        for step, verdict in (
            ("output_checks", check_outputs(view, self.output_config) if self.output_checks else None),
            ("structure", self._structure(view) if self.structure else None),
        ):
            if verdict is not None:  # a rejected dialogue is kept too: without its PII
                kept_as = redact_record(record, self.pii_config).record if self.pii else record
                return CuratedDialogue(kept_as, _rejection(kept_as, step, verdict))
        return CuratedDialogue(self.redact(record) if self.pii else record, None)

    def _structure(self, view: DialogueRecord) -> Verdict | None:
        """Curation's structure rules, with prompt leakage looked for in the answers only: the
        asking prompt dictates what the patient asks ("how the test … is done and what it will
        show"), so a faithful question shares its words without having leaked anything."""
        verdict = check_structure(view, self.structure_config.model_copy(update={"prompt_leakage": False}))
        if verdict is not None or not self.structure_config.prompt_leakage:
            return verdict
        for answer in answers_of(view):
            words = leaked(answer.text)
            if words:
                return Verdict(
                    "prompt_leakage", {"rule": "prompt_leakage", "field": answer.field, "term": words}
                )
        return None

    def redact(self, record: DialogueOut) -> DialogueOut:
        """Every message with its PII replaced by typed placeholders (a fresh id when changed),
        counted in the run's figures (those are of kept dialogues)."""
        redaction = redact_record(record, self.pii_config)
        if redaction.found:
            self.pii_found.update(redaction.found)
            self.records_redacted += 1
        return redaction.record

    def figures(self) -> dict[str, object]:
        """The report's part: which steps ran and the PII found."""
        return {
            "steps": self.steps,
            "pii": {
                "records_redacted": self.records_redacted,
                "found_by_type": dict(sorted(self.pii_found.items())),
            },
        }


def conversation_view(record: DialogueOut) -> DialogueRecord:
    """The generated turns as a conversation, without the fixed system message."""
    if isinstance(record, AlpacaRecord):
        messages = [
            Message(role="user", content=record.input),
            Message(role="assistant", content=record.output),
        ]
    else:
        messages = [m for m in record.messages if m.role != "system"]
    return DialogueRecord(id=record.id, lineage=record.lineage, messages=messages)


def _stored_field(record: DialogueOut, name: str) -> str:
    """A view's field name as the stored record names it."""
    if isinstance(record, AlpacaRecord):
        return _ALPACA_FIELDS.get(name, name)
    if not name.startswith("messages["):
        return name
    generated = [index for index, m in enumerate(record.messages) if m.role != "system"]
    return f"messages[{generated[int(name[len('messages[') : -1])]}]"


def _rejection(record: DialogueOut, step: str, verdict: Verdict) -> RejectedRecord:
    evidence = dict(verdict.evidence)
    if isinstance(evidence.get("field"), str):
        evidence["field"] = _stored_field(record, evidence["field"])
    return RejectedRecord(
        record=record.model_dump(mode="json"), step=step, reason=verdict.reason, evidence=evidence
    )
