"""JSON (a list of objects, or an object holding one such list) and JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.kb.rows import RawRow, RawTable
from pipeline.user_files import json_raw_decode, json_value


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _item_lines(text: str) -> list[int] | None:
    """Start line of each item of a top-level JSON array (None when the top is not an array)."""
    decoder = json.JSONDecoder()
    index = len(text) - len(text.lstrip())
    if not text.startswith("[", index):
        return None
    index += 1
    lines: list[int] = []
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return lines
        lines.append(_line_at(text, index))
        _, index = json_raw_decode(decoder, text, index)


def flat_cell(value: Any) -> Any:
    """A fact as text or a list of texts: an object (or an object in a list) as its JSON text."""
    if isinstance(value, list):
        return [json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in value]
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _raw_table(items: list[Any], lines: list[int] | None, path: Path) -> RawTable:
    """`lines` None: positions unknown, so rows are numbered by item and errors name the item."""
    fields: dict[str, None] = {}
    rows = []
    for number, item in enumerate(items, start=1):
        line = lines[number - 1] if lines else None
        if not isinstance(item, dict):
            raise SeedforgeError(
                f"item {number}: expected an object per entry, got {type(item).__name__}",
                path=path,
                line=line,
            )
        fields.update(dict.fromkeys(str(k) for k in item))
        # values as parsed: the entry's builder flattens facts (`flat_cell`) and refuses a name
        # that is no text
        rows.append(RawRow(line or number, {str(k): v for k, v in item.items()}))
    if not rows:
        raise SeedforgeError("no entries: the list is empty", path=path, line=1)
    return RawTable(list(fields), rows, header_line=rows[0].row if lines else 1)


def load_json(text: str, path: Path) -> RawTable:
    try:
        data = json_value(text)
    except json.JSONDecodeError as exc:
        raise SeedforgeError(
            f"broken JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno
        ) from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list) and all(isinstance(i, dict) for i in v)]
        if len(lists) != 1:
            raise SeedforgeError(
                "expected a list of objects, or an object holding exactly one list of objects "
                "(one entry on its own? wrap it in a list: [{...}])",
                path=path,
                line=1,
            )
        return _raw_table(lists[0], None, path)  # positions inside a wrapper object are not tracked
    if not isinstance(data, list):
        raise SeedforgeError("expected a list of objects at the top level", path=path, line=1)
    return _raw_table(data, _item_lines(text), path)


def load_jsonl(text: str, path: Path) -> RawTable:
    items, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json_value(line))
        except json.JSONDecodeError as exc:
            raise SeedforgeError(
                f"broken JSON: {exc.msg} (column {exc.colno})", path=path, line=number
            ) from None
        lines.append(number)
    return _raw_table(items, lines, path)
