"""Reading records to curate (a JSON list or JSONL of Alpaca records or dialogues, streamed)
and writing results whole or not at all.

Records without lineage (a plain Alpaca file) get an "import" lineage whose language comes
from the text, and are written back in their own plain shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from pipeline.errors import SeedforgeError
from pipeline.io import RecordWriter as RecordWriter  # where curate and score import it from
from pipeline.records import AlpacaRecord, DialogueRecord, Record
from pipeline.text import cjk_ratio
from pipeline.user_files import json_raw_decode, json_value, read_text_utf8, utf8_lines

_DECODER = json.JSONDecoder(strict=False)


@dataclass(frozen=True)
class SourceRecord:
    line: int
    raw: dict[str, Any]
    record: Record


def to_record(data: Any, path: Path, line: int) -> Record:
    if not isinstance(data, dict):
        raise SeedforgeError(
            f"expected a JSON object (a record), got {type(data).__name__}", path=path, line=line
        )
    if not {"instruction", "output", "messages"} & data.keys():
        wrapped = [key for key, value in data.items() if isinstance(value, list)]
        hint = f" (records inside {wrapped[0]!r}? give the list itself)" if wrapped else ""
        raise SeedforgeError(
            f"not a record: an object with keys {sorted(data)[:6]}; expected Alpaca records "
            f"(instruction, input, output) or dialogues (messages), as a JSON list or JSON lines{hint}",
            path=path,
            line=line,
        )
    data = dict(data)
    if "lineage" not in data:
        sample = data.get("instruction") or next(
            (m.get("content", "") for m in data.get("messages", []) if isinstance(m, dict)), ""
        )
        data["lineage"] = {"generator": "import", "language": "zh" if cjk_ratio(str(sample)) > 0.3 else "en"}
    try:
        if "messages" in data:
            return DialogueRecord.model_validate(data)
        return AlpacaRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "record"
        kind = "dialogue" if "messages" in data else "Alpaca record"
        raise SeedforgeError(f"not a valid {kind}: {field}: {first['msg']}", path=path, line=line) from None


def _json_list(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    position = text.index("[") + 1
    line = 1 + text.count("\n", 0, position)

    def skip(position: int, line: int) -> tuple[int, int]:
        while position < len(text) and text[position] in " \t\r\n":
            line += text[position] == "\n"
            position += 1
        return position, line

    position, line = skip(position, line)
    if text.startswith("]", position):
        return
    while True:
        try:
            item, end = json_raw_decode(_DECODER, text, position)
        except json.JSONDecodeError as exc:
            raise SeedforgeError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
        yield line, item
        line += text.count("\n", position, end)
        position, line = skip(end, line)
        if text.startswith(",", position):
            position, line = skip(position + 1, line)
        elif text.startswith("]", position):
            return
        else:
            raise SeedforgeError("expected ',' or ']' between records", path=path, line=line)


def _jsonl(path: Path, handle: IO[bytes]) -> Iterator[tuple[int, Any]]:
    for line, text in utf8_lines(handle, path):
        if not text.strip():
            continue
        try:
            yield line, json_value(text.rstrip("\r\n"), strict=False)  # a column in this line, not the next
        except json.JSONDecodeError as exc:
            raise SeedforgeError(
                f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, line=line
            ) from None


def read_items(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line, parsed JSON value) in file order; JSON errors name the file and line."""
    path = Path(path)
    if path.is_dir():
        raise SeedforgeError("a folder, not a file: give the JSON or JSONL file to read", path=path)
    if not path.is_file():
        raise SeedforgeError("input file not found", path=path)
    with open(path, "rb") as handle:
        head = handle.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
        handle.seek(0)
        if head.startswith(b"["):
            yield from _json_list(path, read_text_utf8(path))  # read whole, then parsed lazily
        else:
            yield from _jsonl(path, handle)


def plain_or_full(source: SourceRecord, record: Record) -> dict[str, Any]:
    """The kept record in the shape it came in: plain fields for an imported file (with any
    redaction applied), the full record with id and lineage otherwise."""
    if "lineage" in source.raw:
        return record.model_dump(mode="json")
    shaped = dict(source.raw)
    if isinstance(record, AlpacaRecord):
        shaped.update(instruction=record.instruction, input=record.input, output=record.output)
    else:
        shaped["messages"] = [m.model_dump(mode="json") for m in record.messages]
    return shaped
