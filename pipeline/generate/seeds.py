"""Seed tasks in the self-instruct schema, read strictly: a bad line names its file and line."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from pipeline.errors import SeedforgeError
from pipeline.records import SeedTask


def load_seed_tasks(path: str | Path) -> list[SeedTask]:
    path = Path(path)
    if not path.is_file():
        raise SeedforgeError("seed file not found", path=path)
    tasks: list[SeedTask] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SeedforgeError(f"not valid JSON ({exc.msg} at column {exc.colno})",
                                     path=path, line=line_no) from None
            if not isinstance(data, dict):
                raise SeedforgeError("expected a JSON object with id, name, instruction, instances,"
                                     " is_classification", path=path, line=line_no)
            try:
                task = SeedTask.model_validate(data)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(part) for part in first["loc"]) or "record"
                raise SeedforgeError(f"seed task field {field}: {first['msg']}",
                                     path=path, line=line_no) from None
            if task.id in seen:
                raise SeedforgeError(f"duplicate seed id {task.id!r} (first on line {seen[task.id]})",
                                     path=path, line=line_no)
            seen[task.id] = line_no
            tasks.append(task)
    if not tasks:
        raise SeedforgeError("seed file holds no tasks", path=path)
    return tasks
