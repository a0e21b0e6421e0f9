"""Record models: the contracts between stages and with users' other tools (Alpaca records,
chat dialogues, rejected records with their reason, seed tasks)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def content_hash(*parts: str, length: int = 16) -> str:
    """Stable id from content: the same text always yields the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


_stamp: tuple[int, str] = (-1, "")  # (whole second, its ISO text): one formatting a second


def utc_now() -> str:
    """The current UTC time to the second, ISO 8601. Every imported record is stamped, and
    formatting a datetime cost about as much as the rest of reading a short record."""
    global _stamp
    second = int(time.time())
    if second != _stamp[0]:
        _stamp = (second, datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds"))
    return _stamp[1]


class Instance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input: str
    output: str


class SeedTask(BaseModel):
    """A task in the self-instruct seed schema, accepted exactly as Alpaca and BELLE ship it."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    instruction: str = Field(min_length=1)
    instances: list[Instance] = Field(min_length=1)
    is_classification: bool
    # optional: not in the self-instruct schema; BELLE-style seed sets may name a task category
    category: str | None = None


class QualityScore(BaseModel):
    """An LLM judge's rating of a record against a rubric (`pipeline.score`): 1 (unusable) to 5
    (excellent), the judge's one-line reason, which model judged and under which rubric."""

    score: int = Field(ge=1, le=5)
    reason: str = ""
    judge: str  # the judge model's name
    rubric: str  # name@version


class ReviewEdit(BaseModel):
    """A reviewer replaced the record's output (`pipeline.review`): what it said before, under
    which id, who changed it, when and why."""

    original_output: str
    original_id: str
    reviewer: str
    note: str = ""
    session: str
    at: str = Field(default_factory=utc_now)


class Lineage(BaseModel):
    """Where a record came from; enough to reproduce or audit it."""

    generator: str
    template: str | None = None
    template_version: str | None = None
    model: str | None = None
    sampling: dict[str, Any] = Field(default_factory=dict)
    seed_ids: list[str] = Field(default_factory=list)
    kb_entry_id: str | None = None
    request_key: str | None = None
    finish_reason: str | None = None
    build: str | None = None
    language: str = "en"
    created_at: str = Field(default_factory=utc_now)
    quality: QualityScore | None = None  # set by the scored quality step; not part of the id
    # the task category (canonical name, pipeline.generate.categories) and who assigned it:
    # "seed", "classifier", "kb" or "default"; None on records made before categories existed
    category: str | None = None
    category_source: str | None = None
    edit: ReviewEdit | None = None  # set when a human reviewer replaced the output


class AlpacaRecord(BaseModel):
    id: str = ""
    instruction: str
    input: str = ""
    output: str
    lineage: Lineage

    def model_post_init(self, __context: Any) -> None:
        if not self.id:
            self.id = content_hash(self.instruction, self.input, self.output)

    @property
    def prompt_text(self) -> str:
        """The prompt side: what a user would send (instruction plus input)."""
        return f"{self.instruction}\n{self.input}".strip()

    def to_alpaca(self) -> dict[str, str]:
        return {"instruction": self.instruction, "input": self.input, "output": self.output}


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class DialogueRecord(BaseModel):
    id: str = ""
    messages: list[Message] = Field(min_length=2)
    lineage: Lineage

    def model_post_init(self, __context: Any) -> None:
        if not self.id:
            self.id = content_hash(*(f"{m.role}:{m.content}" for m in self.messages))

    @property
    def prompt_text(self) -> str:
        return next((m.content for m in self.messages if m.role == "user"), "")


Record = AlpacaRecord | DialogueRecord


class RejectedRecord(BaseModel):
    """A dropped record, kept with a stable reason code and the evidence for the drop."""

    record: dict[str, Any]
    step: str
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)

    @field_validator("reason")
    @classmethod
    def _reason_is_code(cls, value: str) -> str:
        if not value or " " in value:
            raise ValueError(f"reason must be a stable code without spaces, got {value!r}")
        return value


def record_from_dict(data: dict[str, Any]) -> Record:
    if "messages" in data:
        return DialogueRecord.model_validate(data)
    return AlpacaRecord.model_validate(data)


def dump_jsonl_line(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False) + "\n"
