"""Exports of a dataset version in the formats users' training tools read (design §3):
Alpaca JSON, JSONL, ShareGPT/BELLE conversations, OpenAI chat fine-tuning JSONL, Parquet, and a
LLaMA-Factory `dataset_info.json` entry beside the files."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from pipeline.records import AlpacaRecord, DialogueRecord, Record

ExportFormat = Literal["alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet"]
ALL_FORMATS: tuple[ExportFormat, ...] = ("alpaca_json", "jsonl", "sharegpt", "openai_chat", "parquet")
FILENAMES: dict[str, str] = {
    "alpaca_json": "alpaca.json",
    "jsonl": "records.jsonl",
    "sharegpt": "sharegpt.json",
    "openai_chat": "openai_chat.jsonl",
    "parquet": "records.parquet",
}
SHAREGPT_ROLES = {"user": "human", "assistant": "gpt", "system": "system"}


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
    return {"conversations": [{"from": SHAREGPT_ROLES[m["role"]], "value": m["content"]}
                              for m in as_messages(record)]}


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, data: Any) -> None:
    _atomic_write(path, lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=2),
                                               encoding="utf-8"))


def _write_lines(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    def write(p: Path) -> None:
        with p.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    _atomic_write(path, write)


def _write_parquet(path: Path, records: list[Record]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{**as_flat(r), "id": r.id, "lineage": json.dumps(r.lineage.model_dump(mode="json"))}
            for r in records]
    if rows and "messages" in rows[0]:
        for row in rows:
            row["messages"] = json.dumps(row["messages"], ensure_ascii=False)
    _atomic_write(path, lambda p: pq.write_table(pa.Table.from_pylist(rows), p))


def export_records(records: list[Record], directory: Path, formats: Iterable[str],
                   dataset_name: str) -> dict[str, str]:
    """Write each format into `directory`; returns {format: filename}."""
    written: dict[str, str] = {}
    for fmt in formats:
        path = directory / FILENAMES[fmt]
        if fmt == "alpaca_json":
            if any(isinstance(r, DialogueRecord) for r in records):
                continue  # dialogues have no Alpaca triple; the chat formats carry them
            _write_json(path, [as_flat(r) for r in records])
        elif fmt == "jsonl":
            _write_lines(path, (r.model_dump(mode="json") for r in records))
        elif fmt == "sharegpt":
            _write_json(path, [_sharegpt(r) for r in records])
        elif fmt == "openai_chat":
            _write_lines(path, ({"messages": as_messages(r)} for r in records))
        elif fmt == "parquet":
            _write_parquet(path, records)
        else:
            raise ValueError(f"unknown export format {fmt!r}; known: {', '.join(ALL_FORMATS)}")
        written[fmt] = path.name
    _write_json(directory / "dataset_info.json", llama_factory_info(dataset_name, written))
    return written


def llama_factory_info(dataset_name: str, written: dict[str, str]) -> dict[str, Any]:
    """LLaMA-Factory's dataset_info.json entries for the files written."""
    info: dict[str, Any] = {}
    if "alpaca_json" in written:
        info[dataset_name] = {"file_name": written["alpaca_json"],
                              "columns": {"prompt": "instruction", "query": "input", "response": "output"}}
    if "sharegpt" in written:
        info[f"{dataset_name}_sharegpt"] = {
            "file_name": written["sharegpt"], "formatting": "sharegpt",
            "columns": {"messages": "conversations"},
            "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human",
                     "assistant_tag": "gpt", "system_tag": "system"},
        }
    return info
