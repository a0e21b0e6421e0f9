"""Records as conversations, and the rules every chat consumer shares (OpenAI's fine-tuning
files, LLaMA-Factory's sharegpt reader): an optional system message first, then user and
assistant turns alternating from the user, ending with the assistant, no empty content."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, DialogueRecord, Record

Splits = Mapping[str, list[Record]]  # split name ("train", "test") -> its records, in order


def as_messages(record: Record) -> list[dict[str, str]]:
    if isinstance(record, DialogueRecord):
        return [m.model_dump() for m in record.messages]
    user = f"{record.instruction}\n\n{record.input}" if record.input else record.instruction
    return [{"role": "user", "content": user}, {"role": "assistant", "content": record.output}]


def as_flat(record: Record) -> dict[str, Any]:
    """The user-facing fields only (no lineage), as training tools expect them."""
    if isinstance(record, AlpacaRecord):
        return record.to_alpaca()
    return {"messages": as_messages(record)}


def chat_problem(messages: list[dict[str, str]]) -> str | None:
    """What breaks the shared chat rules in `messages`, or None when they hold."""
    for position, message in enumerate(messages):
        if message["role"] not in ("system", "user", "assistant"):
            return f"message {position} has role {message['role']!r} (system, user or assistant)"
        if not message["content"].strip():
            return f"message {position} ({message['role']}) is empty"
        if message["role"] == "system" and position > 0:
            return f"message {position} is a system message; only the first may be"
    turns = messages[1:] if messages and messages[0]["role"] == "system" else messages
    if not turns:
        return "no user or assistant message"
    offset = len(messages) - len(turns)
    for index, message in enumerate(turns):
        expected = "user" if index % 2 == 0 else "assistant"
        if message["role"] != expected:
            return (
                f"message {index + offset} is {message['role']}, expected {expected} "
                "(user and assistant alternate, the user first)"
            )
    if turns[-1]["role"] != "assistant":
        return "the last message is the user's; it must be the assistant's answer"
    return None


def check_chat_rules(splits: Splits, sources: Mapping[str, Path] | None = None) -> None:
    """Raise SeedforgeError at the first record that breaks the chat rules: its split file and
    line when `sources` names the files the splits were read from, else its split and number."""
    for split, records in splits.items():
        for number, record in enumerate(records, start=1):
            problem = chat_problem(as_messages(record))
            if problem is None:
                continue
            message = f"record {record.id} cannot be exported: {problem}"
            if sources is not None and split in sources:
                raise SeedforgeError(message, path=sources[split], line=number)
            raise SeedforgeError(f"{split} split, record {number}: {message}")
