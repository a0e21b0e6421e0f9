"""Records as Arrow tables with a fixed schema, for Parquet and the Hugging Face export.

Chat records keep their structure: `messages` is a list of {role, content} structs, the shape
`datasets` shows as `List({'role': Value('string'), 'content': Value('string')})`, not a JSON
string to decode. Alpaca records are `instruction`, `input`, `output`. Both carry the record's
`id`, its task `category` (null when it has none) and its whole `lineage` as a JSON string
(its `sampling` settings are free-form, so a struct would change shape from build to build)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.dataset.chat import as_messages
from pipeline.io import atomic_writer
from pipeline.records import AlpacaRecord, Record

if TYPE_CHECKING:
    import pyarrow as pa

ALPACA_COLUMNS = ("instruction", "input", "output")


def arrow_schema(dialogues: bool) -> pa.Schema:
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    body = (
        [("messages", pa.list_(message))] if dialogues else [(name, pa.string()) for name in ALPACA_COLUMNS]
    )
    return pa.schema([("id", pa.string()), *body, ("category", pa.string()), ("lineage", pa.string())])


def arrow_row(record: Record, dialogues: bool) -> dict[str, Any]:
    body: dict[str, Any]
    if dialogues or not isinstance(record, AlpacaRecord):
        body = {"messages": as_messages(record)}
    else:
        body = record.to_alpaca()
    return {
        "id": record.id,
        **body,
        "category": record.lineage.category,
        "lineage": json.dumps(record.lineage.model_dump(mode="json"), ensure_ascii=False),
    }


def arrow_table(records: list[Record], dialogues: bool) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_pylist([arrow_row(r, dialogues) for r in records], schema=arrow_schema(dialogues))


def write_parquet(path: Path, records: list[Record], dialogues: bool) -> None:
    import pyarrow.parquet as pq

    with atomic_writer(path, binary=True) as handle:
        pq.write_table(arrow_table(records, dialogues), handle)


def card_features(dialogues: bool) -> list[dict[str, Any]]:
    """The schema as a dataset card's `dataset_info.features` (the Hub's YAML form), which
    `datasets.load_dataset` applies when it reads the Parquet files."""
    string = {"dtype": "string"}
    body: list[dict[str, Any]] = (
        [{"name": "messages", "list": [{"name": "role", **string}, {"name": "content", **string}]}]
        if dialogues
        else [{"name": name, **string} for name in ALPACA_COLUMNS]
    )
    return [{"name": "id", **string}, *body, {"name": "category", **string}, {"name": "lineage", **string}]
