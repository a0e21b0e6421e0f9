"""Exports of a dataset's records in the formats users' training tools read, split by split
(train and test, the held-out split): Alpaca JSON, seedforge's own JSONL, ShareGPT/BELLE
conversations, OpenAI chat fine-tuning JSONL and Parquet. `export_records` writes the exports
beside a version's records; `seedforge export` (`export_version.py`) writes the same files
through the same functions.

Every record, as a conversation, must obey the chat rules (`chat.py`): one that breaks them
stops the export with its split, number and id, rather than writing a file its consumer
rejects or silently skips.

A split with no records is not written: `datasets.load_dataset` refuses an empty data file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.dataset.arrow import write_parquet
from pipeline.dataset.chat import Splits, as_flat, as_messages, check_chat_rules
from pipeline.dataset.config import ALL_FORMATS
from pipeline.dataset.llama_factory import dataset_info
from pipeline.io import write_json_atomic, write_jsonl_atomic
from pipeline.records import AlpacaRecord, DialogueRecord, Record

__all__ = ["as_flat", "as_messages", "export_records", "write_layout"]

SPLITS = ("train", "test")

# the record shapes a file can hold; each export format is one or more of them
ALPACA, RECORDS, SHAREGPT, OPENAI, PARQUET = "alpaca", "records", "sharegpt", "openai", "parquet"
Layout = dict[str, dict[str, str]]  # shape -> split -> file name, relative to the export folder

# the files of a version's exports (the train names are those of earlier versions)
VERSION_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "alpaca_json": (ALPACA, {"train": "alpaca.json", "test": "alpaca.test.json"}),
    "jsonl": (RECORDS, {"train": "records.jsonl", "test": "records.test.jsonl"}),
    "sharegpt": (SHAREGPT, {"train": "sharegpt.json", "test": "sharegpt.test.json"}),
    "openai_chat": (OPENAI, {"train": "openai_chat.jsonl", "test": "openai_chat.test.jsonl"}),
    "parquet": (PARQUET, {"train": "records.parquet", "test": "records.test.parquet"}),
}
DATASET_INFO = "dataset_info.json"
ROLE_TO_SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system"}


def has_dialogues(splits: Splits) -> bool:
    """Whether any record is a dialogue: then every record of every split is exported as one
    (Parquet `messages`, Alpaca with `system` and `history`), so all files share one schema."""
    return any(isinstance(r, DialogueRecord) for records in splits.values() for r in records)


def alpaca_row(record: Record, dialogues: bool) -> dict[str, Any]:
    """An Alpaca triple. In a set with dialogues every row also carries `system` and `history`
    (earlier [user, assistant] pairs), LLaMA-Factory's Alpaca columns for multi-turn data:
    the last exchange is the instruction and output."""
    if isinstance(record, AlpacaRecord):
        row: dict[str, Any] = record.to_alpaca()
        return {**row, "system": "", "history": []} if dialogues else row
    messages = as_messages(record)
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    turns = messages[1:] if system else messages
    pairs = [[turns[i]["content"], turns[i + 1]["content"]] for i in range(0, len(turns), 2)]
    *history, (instruction, output) = pairs
    return {"instruction": instruction, "input": "", "output": output, "system": system, "history": history}


def sharegpt_row(record: Record) -> dict[str, Any]:
    return {
        "conversations": [
            {"from": ROLE_TO_SHAREGPT[m["role"]], "value": m["content"]} for m in as_messages(record)
        ]
    }


def openai_row(record: Record) -> dict[str, Any]:
    return {"messages": as_messages(record)}


def write_shape(shape: str, records: list[Record], path: Path, dialogues: bool) -> None:
    """One split's file in one shape (atomic; the modes of a plain `open`)."""
    if shape == ALPACA:
        write_json_atomic(path, [alpaca_row(r, dialogues) for r in records])
    elif shape == RECORDS:
        write_jsonl_atomic(path, (r.model_dump(mode="json") for r in records))
    elif shape == SHAREGPT:
        write_json_atomic(path, [sharegpt_row(r) for r in records])
    elif shape == OPENAI:
        write_jsonl_atomic(path, (openai_row(r) for r in records))
    elif shape == PARQUET:
        write_parquet(path, records, dialogues)
    else:
        raise ValueError(f"unknown export shape {shape!r}")


def write_layout(splits: Splits, directory: Path, layout: Layout) -> Layout:
    """Write every (shape, split) file of `layout` under `directory`; a split without records
    is left out. Returns the layout of the files written."""
    dialogues = has_dialogues(splits)
    written: Layout = {}
    for shape, files in layout.items():
        for split, name in files.items():
            records = splits.get(split, [])
            if records:
                write_shape(shape, records, directory / name, dialogues)
                written.setdefault(shape, {})[split] = name
    return written


def export_records(
    splits: Splits, directory: Path, formats: Iterable[str], dataset_name: str
) -> dict[str, dict[str, str]]:
    """A version's exports: each format's files for each non-empty split, and LLaMA-Factory's
    `dataset_info.json` for those it reads. Returns {format: {split: file name}}."""
    layout: Layout = {}
    shape_of: dict[str, str] = {}
    for fmt in formats:
        if fmt not in VERSION_FILES:
            raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(ALL_FORMATS)}")
        shape, files = VERSION_FILES[fmt]
        layout[shape], shape_of[shape] = files, fmt
    if set(layout) - {RECORDS}:
        check_chat_rules(splits)
    written = write_layout(splits, directory, layout)
    write_json_atomic(directory / DATASET_INFO, dataset_info(dataset_name, written, has_dialogues(splits)))
    return {shape_of[shape]: files for shape, files in written.items()}
