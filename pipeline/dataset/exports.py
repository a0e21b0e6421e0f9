"""Exports of a dataset version in the formats users' training tools read:
Alpaca JSON, JSONL, ShareGPT/BELLE conversations, OpenAI chat fine-tuning JSONL, Parquet, and a
LLaMA-Factory `dataset_info.json` entry beside the files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline.dataset.config import ALL_FORMATS
from pipeline.io import atomic_writer, write_json_atomic, write_jsonl_atomic
from pipeline.records import AlpacaRecord, DialogueRecord, Record

FILENAMES: dict[str, str] = {
    "alpaca_json": "alpaca.json",
    "jsonl": "records.jsonl",
    "sharegpt": "sharegpt.json",
    "openai_chat": "openai_chat.jsonl",
    "parquet": "records.parquet",
}
ROLE_TO_SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system"}


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


def _sharegpt(record: Record) -> dict[str, Any]:
    return {
        "conversations": [
            {"from": ROLE_TO_SHAREGPT[m["role"]], "value": m["content"]} for m in as_messages(record)
        ]
    }


def _write_parquet(path: Path, records: list[Record]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {**as_flat(r), "id": r.id, "lineage": json.dumps(r.lineage.model_dump(mode="json"))} for r in records
    ]
    if rows and "messages" in rows[0]:
        for row in rows:
            row["messages"] = json.dumps(row["messages"], ensure_ascii=False)
    table = pa.Table.from_pylist(rows)
    with atomic_writer(path, binary=True) as handle:
        pq.write_table(table, handle)


def export_records(
    records: list[Record], directory: Path, formats: Iterable[str], dataset_name: str
) -> dict[str, str]:
    """Write each format into `directory`; returns {format: filename}."""
    written: dict[str, str] = {}
    for fmt in formats:
        if fmt not in FILENAMES:
            raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(ALL_FORMATS)}")
        path = directory / FILENAMES[fmt]
        if fmt == "alpaca_json":
            if any(isinstance(r, DialogueRecord) for r in records):
                continue  # dialogues have no Alpaca triple; the chat formats carry them
            write_json_atomic(path, [as_flat(r) for r in records])
        elif fmt == "jsonl":
            write_jsonl_atomic(path, (r.model_dump(mode="json") for r in records))
        elif fmt == "sharegpt":
            write_json_atomic(path, [_sharegpt(r) for r in records])
        elif fmt == "openai_chat":
            write_jsonl_atomic(path, ({"messages": as_messages(r)} for r in records))
        else:
            _write_parquet(path, records)
        written[fmt] = path.name
    write_json_atomic(directory / "dataset_info.json", llama_factory_info(dataset_name, written))
    return written


def llama_factory_info(dataset_name: str, written: dict[str, str]) -> dict[str, Any]:
    """LLaMA-Factory's dataset_info.json entries for the files written."""
    info: dict[str, Any] = {}
    if "alpaca_json" in written:
        info[dataset_name] = {
            "file_name": written["alpaca_json"],
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        }
    if "sharegpt" in written:
        info[f"{dataset_name}_sharegpt"] = {
            "file_name": written["sharegpt"],
            "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "system_tag": "system",
            },
        }
    return info
