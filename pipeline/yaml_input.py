"""YAML input: the top-level mapping of a file, validated into a model, every error naming the
file and the line of the node at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.errors import SeedforgeError

ModelT = TypeVar("ModelT", bound=BaseModel)


def yaml_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Line (1-based) of the YAML node at a pydantic error location, when it can be found."""
    import yaml  # ~45 ms: only commands that read YAML pay it

    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(key)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def read_yaml_mapping(
    path: Path, *, contents: str, syntax: str = "YAML", encoding: str = "utf-8"
) -> tuple[dict[str, Any], str]:
    """The top-level mapping of a YAML file and its text. A syntax error or another top level
    raises SeedforgeError naming the file and line; `contents` names what the mapping holds."""
    import yaml

    text = path.read_text(encoding=encoding)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SeedforgeError(
            f"not valid {syntax}: {getattr(exc, 'problem', exc)}", path=path, line=line
        ) from None
    if data is None:  # an empty file (or comments only) is more likely a mistake than a wish
        raise SeedforgeError(
            f"empty: expected a mapping of {contents} (write {{}} for every default)", path=path
        )
    if not isinstance(data, dict):
        raise SeedforgeError(f"expected a mapping of {contents} at the top level", path=path, line=1)
    return data, text


def validate_yaml(
    model: type[ModelT], data: dict[str, Any], text: str, path: Path, under: tuple[str, ...] = ()
) -> ModelT:
    """`data` (read from `text`, the file at `path`, where it sits under the keys `under`) as
    `model`; the first validation error is raised as SeedforgeError naming the field, the file
    and the line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = (*under, *first["loc"])
        field = ".".join(str(part) for part in loc)
        raise SeedforgeError(f"{field}: {first['msg']}", path=path, line=yaml_line(text, loc)) from None
