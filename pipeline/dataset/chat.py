"""Records as conversations, and the exports' check of the rules every chat consumer shares
(`pipeline.chat_rules`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipeline.chat_rules import chat_problem
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
