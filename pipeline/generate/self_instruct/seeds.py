"""Seed tasks, read strictly: a bad line names its file and line, and nothing runs.

Two formats, told apart by the first record:
- the self-instruct schema `{id, name, instruction, instances: [{input, output}],
  is_classification}`, exactly as self-instruct, Alpaca and BELLE ship their seed files;
- plain JSONL of instructions: a JSON string per line, or an object with `instruction` and
  optionally `input`, `output` (an Alpaca record) and `is_classification`. Such a seed has the
  one instance it names (empty input and output when it names none); ids are `line_N`.

Either may name a task `category` (not in the self-instruct schema; BELLE-style seed sets have
one). It is folded to its canonical spelling ("Open QA" is open_qa); a name outside the
build's category list is kept (such a seed only takes no part in steering), an empty one is an
error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import SeedforgeError
from pipeline.evaluate.rubrics import canonical_category
from pipeline.records import Instance, SeedTask
from pipeline.settings import resolve_path
from pipeline.user_files import json_value

ModelT = TypeVar("ModelT", bound=BaseModel)
SCHEMA_KEYS = {"id", "name", "instances"}  # is_classification may sit on a plain line too


class PlainSeed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instruction: str = Field(min_length=1)
    input: str = ""
    output: str = ""
    is_classification: bool = False
    category: str | None = None

    def to_task(self, line_no: int) -> SeedTask:
        return SeedTask(
            id=f"line_{line_no}",
            name=f"line_{line_no}",
            instruction=self.instruction,
            instances=[Instance(input=self.input, output=self.output)],
            is_classification=self.is_classification,
            category=self.category,
        )


def _validate(model: type[ModelT], data: Any, path: Path, line_no: int) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "record"
        raise SeedforgeError(f"seed task field {field}: {first['msg']}", path=path, line=line_no) from None


def _is_schema(data: Any) -> bool:
    return isinstance(data, dict) and bool(SCHEMA_KEYS & data.keys())


def _read_line(line: str, path: Path, line_no: int, schema: bool) -> SeedTask:
    try:
        data = json_value(line)
    except json.JSONDecodeError as exc:
        raise SeedforgeError(
            f"not valid JSON ({exc.msg} at column {exc.colno})", path=path, line=line_no
        ) from None
    if schema:
        if not isinstance(data, dict):
            raise SeedforgeError(
                "expected a JSON object with id, name, instruction, instances, is_classification",
                path=path,
                line=line_no,
            )
        return _validate(SeedTask, data, path, line_no)
    if _is_schema(data):
        raise SeedforgeError(
            "a self-instruct seed task in a file of plain instructions (the first line decides the format)",
            path=path,
            line=line_no,
        )
    if isinstance(data, str):
        data = {"instruction": data}
    if not isinstance(data, dict):
        raise SeedforgeError(
            'expected a JSON string or an object with "instruction"', path=path, line=line_no
        )
    return _validate(PlainSeed, data, path, line_no).to_task(line_no)


def _with_category(task: SeedTask, path: Path, line_no: int) -> SeedTask:
    if task.category is None:
        return task
    if not task.category.strip():
        raise SeedforgeError(
            "seed task field category: empty (leave it out instead)", path=path, line=line_no
        )
    return task.model_copy(update={"category": canonical_category(task.category)})


def load_seed_tasks(path: str | Path) -> list[SeedTask]:
    """The seed tasks of `path`; a relative `seeds/...` path that is not under the working
    directory is the copy shipped with seedforge (a flow form's value, as a config file's)."""
    path = resolve_path(path)
    if not path.is_file():
        raise SeedforgeError("seed file not found", path=path)
    tasks: list[SeedTask] = []
    seen: dict[str, int] = {}
    schema: bool | None = None
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise SeedforgeError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if schema is None:
            try:
                schema = _is_schema(json_value(line))
            except json.JSONDecodeError:
                schema = True  # _read_line reports it with its column
        task = _with_category(_read_line(line, path, line_no, schema), path, line_no)
        if task.id in seen:
            raise SeedforgeError(
                f"duplicate seed id {task.id!r} (first on line {seen[task.id]})", path=path, line=line_no
            )
        seen[task.id] = line_no
        tasks.append(task)
    if not tasks:
        raise SeedforgeError("seed file holds no tasks", path=path)
    return tasks
