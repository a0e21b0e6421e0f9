"""What `seedforge train DATASET` reads: a seedforge dataset version (directory, or a dataset
name for its latest version), or a JSON list / JSONL file of Alpaca records
(`instruction`, `input`, `output`, as in alpaca_data.json) or `messages` records (OpenAI chat
format; ShareGPT/BELLE `conversations` are accepted too). Errors name the file and the line
(JSONL) or record number (JSON list)."""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.dataset.versions import TRAIN, load_version, resolve_version, sha256_file
from pipeline.errors import SeedforgeError
from pipeline.records import AlpacaRecord, DialogueRecord, Lineage, Message, Record
from pipeline.user_files import json_value, read_text_utf8

DEFAULT_VAL_SET_SIZE = 2000  # alpaca-lora's
SHAREGPT_TO_ROLE = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}


@dataclass
class TrainingData:
    records: list[Record]
    source: dict[str, Any]  # path, kind, sha256, and name/version for a dataset version


def _messages(raw: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: messages must be a non-empty list")
    out = []
    for turn, message in enumerate(raw):
        if not isinstance(message, dict):
            raise ValueError(f"{where}: message {turn} is not an object")
        role = message.get("role", message.get("from"))
        content = message.get("content", message.get("value"))
        role = SHAREGPT_TO_ROLE.get(role) if isinstance(role, str) else None
        if role is None or not isinstance(content, str):
            raise ValueError(
                f"{where}: message {turn} needs a role (system, user, assistant) and string content"
            )
        out.append({"role": role, "content": content})
    if not any(m["role"] == "assistant" for m in out):
        raise ValueError(f"{where}: no assistant message, so nothing to learn")
    return out


def _kind(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    if value is None:
        return "missing or null"
    kinds = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return f"{kinds.get(type(value), type(value).__name__)}, not a string"


def record_from_raw(raw: Any, where: str) -> Record:
    """One user record; raises ValueError saying what is wrong."""
    lineage = Lineage(generator="file")
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object, got {type(raw).__name__}")
    if "messages" in raw or "conversations" in raw:
        messages = _messages(raw.get("messages", raw.get("conversations")), where)
        if len(messages) < 2:
            raise ValueError(f"{where}: a dialogue needs at least two messages")
        return DialogueRecord(messages=[Message.model_validate(m) for m in messages], lineage=lineage)
    instruction, output = raw.get("instruction"), raw.get("output")
    extra = raw.get("input") if raw.get("input") is not None else ""
    if isinstance(instruction, str) and isinstance(extra, str) and isinstance(output, str):
        return AlpacaRecord(instruction=instruction, input=extra, output=output, lineage=lineage)
    wrong = [
        f"{name} is {_kind(value)}"
        for name, value in (("instruction", instruction), ("input", extra), ("output", output))
        if not isinstance(value, str)
    ]
    raise ValueError(
        f"{where}: expected an Alpaca record (string instruction, input, output) "
        f"or a messages record; {', '.join(wrong)}"
    )


def _read_file(path: Path) -> list[Record]:
    text = read_text_utf8(path)
    if not text.strip():
        raise SeedforgeError("the dataset file is empty", path=path)
    records: list[Record] = []
    if path.suffix == ".json" and not text.lstrip().startswith("["):
        raise SeedforgeError(
            "a .json dataset must be a JSON list of records (use .jsonl for one record per line)",
            path=path,
            line=1,
        )
    if text.lstrip().startswith("["):
        try:
            items = json_value(text)
        except json.JSONDecodeError as exc:
            raise SeedforgeError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        for index, item in enumerate(items, start=1):
            try:
                records.append(record_from_raw(item, f"record {index}"))
            except ValueError as exc:
                raise SeedforgeError(str(exc), path=path) from None
        return records
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(record_from_raw(json_value(line), "record"))
        except json.JSONDecodeError as exc:
            raise SeedforgeError(f"not a JSON line: {exc.msg}", path=path, line=line_no) from None
        except ValueError as exc:
            raise SeedforgeError(str(exc), path=path, line=line_no) from None
    return records


DATA_FILE_SUFFIXES = (".json", ".jsonl", ".csv", ".tsv", ".parquet")


def load_training_data(spec: str | Path) -> TrainingData:
    path = Path(spec)
    if path.is_file():
        records = _read_file(path)
        source: dict[str, Any] = {"kind": "file", "path": str(path.resolve()), "sha256": sha256_file(path)}
    else:
        if path.suffix.lower() in DATA_FILE_SUFFIXES and not path.exists():
            # read as a dataset name, it said "dataset 'x.jsonl' has no version": it was meant as a file
            raise SeedforgeError("no such file", path=path)
        version_dir = resolve_version(str(spec))
        version, records, _heldout = load_version(version_dir)
        manifest = version.manifest
        source = {
            "kind": "dataset_version",
            "path": str(version_dir.resolve()),
            "name": version.dataset,
            "version": version.version,
            "sha256": manifest["files"][TRAIN]["sha256"],
            "file": TRAIN,
            "content_id": manifest.get("content_id"),
        }
    if not records:
        raise SeedforgeError("the dataset has no records to train on", path=path)
    source["records"] = len(records)
    return TrainingData(records, source)


def validation_count(size: int | float | None, records: int) -> int:
    """Records to hold out: the explicit count, a fraction, or alpaca-lora's 2000 capped at a
    tenth of the data (2000 of 40 records would leave nothing to train on)."""
    if size is None:
        return min(DEFAULT_VAL_SET_SIZE, records // 10)
    count = math.ceil(size * records) if 0 < size < 1 else int(size)
    if count >= records:
        raise SeedforgeError(
            f"--val-set-size {size} leaves no training records (the dataset has "
            f"{records}); give fewer records or a fraction such as 0.1"
        )
    return count


def split_validation(
    records: list[Record], size: int | float | None, seed: int
) -> tuple[list[Record], list[Record]]:
    """A seeded shuffle, as alpaca-lora's train_test_split(seed=42); order otherwise kept."""
    count = validation_count(size, len(records))
    chosen = set(random.Random(seed).sample(range(len(records)), count))
    train = [r for i, r in enumerate(records) if i not in chosen]
    validation = [r for i, r in enumerate(records) if i in chosen]
    return train, validation
