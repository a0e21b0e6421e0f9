"""What curation reads from a record, for Alpaca records and dialogues alike.

A dialogue's "instruction" is its first user turn (that is what the paper filters and the
novelty rule look at); its answers are its assistant turns, each paired with the turn it
answers."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.records import AlpacaRecord, DialogueRecord, Record
from pipeline.text import cjk_ratio


@dataclass(frozen=True)
class RecordAnswer:
    field: str  # "output", or "messages[3]" for a dialogue turn
    text: str
    asked: str  # the user text it answers


def instruction_of(record: Record) -> str:
    if isinstance(record, AlpacaRecord):
        return record.instruction
    return record.prompt_text


def input_of(record: Record) -> str:
    return record.input if isinstance(record, AlpacaRecord) else ""


def compared_text(record: Record, compare: str) -> str:
    """What exact dedup and the novelty rule compare: the instruction alone, or the prompt
    side (instruction + input; a dialogue's first user turn)."""
    if compare == "instruction":
        return instruction_of(record)
    return record.prompt_text


def answers_of(record: Record) -> list[RecordAnswer]:
    if isinstance(record, AlpacaRecord):
        return [RecordAnswer("output", record.output, record.prompt_text)]
    answers, asked = [], ""
    for index, message in enumerate(record.messages):
        if message.role == "user":
            asked = message.content
        elif message.role == "assistant":
            answers.append(RecordAnswer(f"messages[{index}]", message.content, asked))
    return answers


def text_fields(record: Record) -> list[tuple[str, str]]:
    """Every text field a person could have written PII into, by name."""
    if isinstance(record, AlpacaRecord):
        return [("instruction", record.instruction), ("input", record.input), ("output", record.output)]
    return [(f"messages[{i}]", m.content) for i, m in enumerate(record.messages)]


def whole_text(record: Record) -> str:
    return "\n".join(text for _, text in text_fields(record) if text)


def is_chinese(record: Record) -> bool:
    """BELLE's rules apply to Chinese records: by lineage, or by what the instruction is
    written in (a record imported without lineage says "en" by default)."""
    return record.lineage.language == "zh" or cjk_ratio(instruction_of(record)) > 0.3


def with_texts(record: Record, texts: dict[str, str]) -> Record:
    """A copy with some text fields replaced (names as in `text_fields`), and a fresh id."""
    if isinstance(record, AlpacaRecord):
        data = record.model_dump()
        data.update(texts)
        data["id"] = ""
        return AlpacaRecord.model_validate(data)
    data = record.model_dump()
    for name, text in texts.items():
        data["messages"][int(name[len("messages[") : -1])]["content"] = text
    data["id"] = ""
    return DialogueRecord.model_validate(data)
