"""What a dialogue template is, and the helpers every template and prompt shares.

Each turn is two requests: the asking side (patient, customer, user) writes a message from a
few facts — the patient never sees the condition's name, so symptoms come out in lay words —
then the answering side (doctor, agent, assistant) replies from the whole entry. KB text only
ever appears inside the <kb_entry> block, which the system prompts declare to be data.
Editing a template must bump its version: the version is in every record's lineage and in
every journal key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

ENTRY_OPEN, ENTRY_CLOSE = "<kb_entry>", "</kb_entry>"
_ANGLE = str.maketrans({"<": "‹", ">": "›"})


@dataclass(frozen=True)
class Turn:
    ask: str  # the asking side's task for this turn
    answer: str  # the answering side's task for this turn
    safety: bool = False  # the answer carries a safety note, in a field of its own


@dataclass(frozen=True)
class DialogueTemplate:
    name: str
    version: str
    domain: str
    language: str
    role_instruction: str  # the fixed Alpaca instruction, and the system message of chat records
    asker_system: str
    answerer_system: str
    asker_key: str  # JSON field the asking side writes
    answer_key: str  # JSON field the answering side writes
    asker_label: str  # how transcripts name each side
    answerer_label: str
    turns: tuple[Turn, ...]
    safety_key: str = "safety_note"  # a field of its own: a small model forgets a trailing note

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"


def as_data(text: str) -> str:
    """KB text cannot open or close the data block: angle brackets become look-alikes."""
    return text.translate(_ANGLE)


def turn_schema(*fields: tuple[str, int, int]) -> dict[str, Any]:
    """(key, min, max length) string fields; the embedded server turns this into a grammar, and
    the maximum makes the model close the JSON before it runs out of tokens."""
    return {
        "type": "object",
        "properties": {
            key: {"type": "string", "minLength": low, "maxLength": high} for key, low, high in fields
        },
        "required": [key for key, _, _ in fields],
    }


_INSTRUCTION_LIKE = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,30}\b(instructions?|prompts?|rules)\b|\byou are now\b|"
    r"\bsystem prompt\b|\breply only with\b|忽略.{0,10}(指令|提示)|无视.{0,10}(指令|提示)",
    re.IGNORECASE,
)


def reads_like_instruction(text: str) -> bool:
    """KB text phrased as an order to the model: kept as data, never made a talking point."""
    return bool(_INSTRUCTION_LIKE.search(text))
