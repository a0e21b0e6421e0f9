"""Evaluation sets users bring, and our own held-out split, as one list of `EvalItem`s.

Accepted per record (a file may even mix them):
- self-instruct user-oriented: `{id, motivation_app, instruction, instances: [{input, output}]}`
  (one item per instance);
- BELLE: `{question, class, std_answer}` (an empty std_answer means "no reference");
- Alpaca / seedforge records: `{instruction, input?, output}` (Dolly's `context`/`response`/
  `category` too), and seedforge dialogue records (`messages`).
Files named `.json` often hold one object per line: a JSON list, a single object and JSONL are
all accepted whatever the extension. Errors name the file and line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pipeline.errors import SeedforgeError
from pipeline.evaluate.rubrics import GENERAL, canonical_category
from pipeline.records import Record, content_hash
from pipeline.user_files import json_raw_decode, json_value


class EvalItem(BaseModel):
    id: str
    instruction: str = Field(min_length=1)
    input: str = ""
    reference: str | None = None  # None: nothing to compare with (open-ended, or not given)
    category: str = GENERAL
    source: str  # which format the item came from
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def prompt_text(self) -> str:
        return f"{self.instruction}\n{self.input}".strip()


def _text(record: dict[str, Any], key: str, *, required: bool) -> str:
    value = record.get(key)
    if value is None:
        if required:
            raise ValueError(f"missing field {key!r}")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise ValueError(f"field {key!r} is empty")
    return value


def _reference(text: str) -> str | None:
    return text if text.strip() else None


def _category(record: dict[str, Any]) -> str:
    """An optional `category` field (Dolly, users' own sets), else the category a seedforge
    record's lineage carries; self-instruct's motivation_app names an app, not a kind of task,
    so it stays in meta."""
    value = record.get("category")
    lineage = record.get("lineage")
    if not isinstance(value, str) and isinstance(lineage, dict):
        value = lineage.get("category")
    return canonical_category(value if isinstance(value, str) else None)


def _self_instruct(record: dict[str, Any]) -> list[EvalItem]:
    instruction = _text(record, "instruction", required=True)
    instances = record["instances"]
    if not isinstance(instances, list) or not instances:
        raise ValueError("'instances' must be a non-empty list of {input, output}")
    base_id = str(record.get("id") or content_hash(instruction))
    meta = {k: record[k] for k in ("motivation_app", "name") if isinstance(record.get(k), str)}
    items = []
    for number, instance in enumerate(instances):
        if not isinstance(instance, dict):
            raise ValueError(f"instance {number} must be an object with input and output")
        item_id = base_id if len(instances) == 1 else f"{base_id}#{number}"
        items.append(
            EvalItem(
                id=item_id,
                instruction=instruction,
                input=_text(instance, "input", required=False),
                reference=_reference(_text(instance, "output", required=False)),
                category=_category(record),
                source="self_instruct",
                meta=meta,
            )
        )
    return items


def _belle(record: dict[str, Any]) -> list[EvalItem]:
    question = _text(record, "question", required=True)
    raw_class = _text(record, "class", required=False)
    return [
        EvalItem(
            id=str(record.get("id") or content_hash(question)),
            instruction=question,
            reference=_reference(_text(record, "std_answer", required=False)),
            category=canonical_category(raw_class),
            source="belle",
            meta={"class": raw_class} if raw_class else {},
        )
    ]


def _alpaca(record: dict[str, Any]) -> list[EvalItem]:
    instruction = _text(record, "instruction", required=True)
    context_key = "input" if "input" in record else "context"
    answer_key = "output" if "output" in record else "response"
    given = _text(record, context_key, required=False)
    answer = _text(record, answer_key, required=False)
    return [
        EvalItem(
            id=str(record.get("id") or content_hash(instruction, given, answer)),
            instruction=instruction,
            input=given,
            reference=_reference(answer),
            category=_category(record),
            source="seedforge" if "lineage" in record else "alpaca",
        )
    ]


def _dialogue(record: dict[str, Any]) -> list[EvalItem]:
    messages = record["messages"]
    if not isinstance(messages, list):
        raise ValueError("'messages' must be a list of {role, content}")
    turns = [(m.get("role"), m.get("content")) for m in messages if isinstance(m, dict)]
    users = [i for i, (role, _) in enumerate(turns) if role == "user"]
    first = users[0] if users else -1
    question = turns[first][1] if users else None
    if not isinstance(question, str) or not question.strip():
        raise ValueError("a dialogue needs a non-empty user message")
    answer = next((c for role, c in turns[first + 1 :] if role == "assistant"), "")
    return [
        EvalItem(
            id=str(record.get("id") or content_hash(question)),
            instruction=question,
            reference=_reference(answer if isinstance(answer, str) else ""),
            category=_category(record),
            source="dialogue",
        )
    ]


def items_from_record(record: Any) -> list[EvalItem]:
    """The eval items one record holds; ValueError says what is wrong with it."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    if "question" in record:
        return _belle(record)
    if "instances" in record:
        return _self_instruct(record)
    if "messages" in record:
        return _dialogue(record)
    if "instruction" in record:
        return _alpaca(record)
    raise ValueError(
        "not an eval record: expected BELLE {question, class, std_answer}, self-instruct "
        "{id, instruction, instances}, Alpaca {instruction, input, output} or {messages}; "
        f"got keys {sorted(record)[:8]}"
    )


def _json_list_with_lines(text: str, path: Path) -> list[tuple[int, Any]]:
    """Elements of a JSON list, each with the line it starts on (for error messages)."""
    decoder = json.JSONDecoder()
    try:
        json_value(text)
    except json.JSONDecodeError as exc:
        raise SeedforgeError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    out: list[tuple[int, Any]] = []
    position = text.index("[") + 1
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return out
        value, end = json_raw_decode(decoder, text, position)
        out.append((text.count("\n", 0, position) + 1, value))
        position = end


def read_json_records(path: Path) -> list[tuple[int, Any]]:
    """(line, value) for every record of a JSON list, a single JSON object, or JSONL."""
    if not path.is_file():
        raise SeedforgeError("eval set not found", path=path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedforgeError(f"not UTF-8 text: {exc.reason}", path=path) from None
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _json_list_with_lines(text, path)
    if stripped.startswith("{"):
        try:
            return [(text[: len(text) - len(stripped)].count("\n") + 1, json_value(text))]
        except json.JSONDecodeError:
            pass  # not one object: one object per line
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append((line_no, json_value(line)))
            except json.JSONDecodeError as exc:
                raise SeedforgeError(
                    f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, line=line_no
                ) from None
    return records


def _unique_ids(items: list[EvalItem]) -> list[EvalItem]:
    seen: dict[str, int] = {}
    for item in items:
        count = seen.get(item.id, 0)
        seen[item.id] = count + 1
        if count:
            item.id = f"{item.id}~{count + 1}"
    return items


def load_eval_set(path: str | Path) -> list[EvalItem]:
    """Every item of an eval file; a malformed record stops with its file and line."""
    path = Path(path)
    items: list[EvalItem] = []
    for line_no, record in read_json_records(path):
        try:
            items.extend(items_from_record(record))
        except (ValueError, TypeError) as exc:
            message = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
            raise SeedforgeError(message, path=path, line=line_no) from None
    if not items:
        raise SeedforgeError("the eval set is empty", path=path)
    return _unique_ids(items)


def items_from_records(records: list[Record]) -> list[EvalItem]:
    """Our own held-out split (Alpaca or dialogue records) as eval items, each in its record's
    category (`lineage.category`; the general rubric's when it has none)."""
    items = [item for r in records for item in items_from_record(r.model_dump(mode="json"))]
    return _unique_ids(items)
