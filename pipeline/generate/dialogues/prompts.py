"""Rendering a knowledge-base entry into the two prompts of each dialogue turn."""

from __future__ import annotations

from pipeline.generate.dialogues.templates.base import (
    ENTRY_CLOSE,
    ENTRY_OPEN,
    DialogueTemplate,
    as_data,
    reads_like_instruction,
)
from pipeline.kb.entry import KBEntry

_NONE = {"en": "(none listed)", "zh": "（无）"}
_JOIN = {"en": "; ", "zh": "；"}
_FOCUS_SYMPTOMS = 3


def entry_block(entry: KBEntry) -> str:
    """The whole entry as delimited data, one `field: value` line per fact."""
    name_field = entry.roles.get("name", "name")
    lines = [f"{name_field}: {entry.name}"]
    for field, value in entry.facts.items():
        lines.append(f"{field}: {'; '.join(value) if isinstance(value, list) else value}")
    return "\n".join([ENTRY_OPEN, *(as_data(line) for line in lines), ENTRY_CLOSE])


def talking_points(entry: KBEntry, role: str) -> list[str]:
    """A role's items that may be put to the model as a task; instruction-like text is not."""
    return [item for item in entry.items(role) if not reads_like_instruction(item)]


def _rotate(items: list[str], start: int, count: int) -> list[str]:
    if not items:
        return []
    return [items[(start + k) % len(items)] for k in range(min(count, len(items)))]


def focus_values(entry: KBEntry, sample_index: int) -> dict[str, str]:
    """What this sample of the entry talks about; a new sample index picks other facts."""
    none, join = _NONE.get(entry.language, _NONE["en"]), _JOIN.get(entry.language, "; ")

    def listed(items: list[str]) -> str:
        return as_data(join.join(items)) if items else none

    def pick(role: str) -> str:
        items = talking_points(entry, role)
        return as_data(items[sample_index % len(items)]) if items else none

    symptoms = talking_points(entry, "symptoms")
    steps = talking_points(entry, "fix")
    notes = entry.facts.get("notes")
    return {
        "name": as_data(entry.name),
        "symptoms": listed(_rotate(symptoms, sample_index, _FOCUS_SYMPTOMS)),
        "test": pick("tests"),
        "tests": listed(talking_points(entry, "tests")),
        "medication": pick("medications"),
        "medications": listed(talking_points(entry, "medications")),
        "cause": listed(talking_points(entry, "causes")),
        "fix_steps": " ".join(f"{n}. {as_data(s)}" for n, s in enumerate(steps, 1)) or none,
        "parts": listed(talking_points(entry, "parts")),
        "notes": as_data(notes) if isinstance(notes, str) else none,
    }


def transcript(template: DialogueTemplate, turns: list[tuple[str, str]], pending_ask: str) -> str:
    lines = []
    for ask, answer in turns:
        lines += [f"{template.asker_label}: {ask}", f"{template.answerer_label}: {answer}"]
    lines.append(f"{template.asker_label}: {pending_ask}")
    return "\n".join(lines)


def asker_messages(
    template: DialogueTemplate, turn: int, values: dict[str, str], previous_answer: str = ""
) -> list[dict[str, str]]:
    task = template.turns[turn].ask.format(**values, previous_answer=as_data(previous_answer))
    return [{"role": "system", "content": template.asker_system}, {"role": "user", "content": task}]


def answerer_messages(
    template: DialogueTemplate,
    turn: int,
    values: dict[str, str],
    entry: KBEntry,
    turns: list[tuple[str, str]],
    ask: str,
) -> list[dict[str, str]]:
    conversation = as_data(transcript(template, turns, ask))
    task = template.turns[turn].answer.format(**values)
    content = f"{conversation}\n\n{entry_block(entry)}\n\n{task}"
    return [{"role": "system", "content": template.answerer_system}, {"role": "user", "content": content}]
