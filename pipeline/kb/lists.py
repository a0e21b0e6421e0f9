"""List-valued cells arrive as JSON lists, Python-literal lists or delimiter-separated text
(ChatDoctor stored stringified Python lists); all of them become lists of strings."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

# tried in this order: the first delimiter present in the text wins, so "a; b, c" keeps "b, c"
_DELIMITERS = ("\n", ";", "；", "|", "、", ",", "，")
_NUMBERED_STEP = re.compile(r"(?:^|\s)(\d{1,2})[.)]\s+")
_MAX_COMMA_ITEM_WORDS = 8
EMPTY_MARKERS = {"", "none", "n/a", "na", "-", "—", "无", "没有", "null"}


class ListCellError(ValueError):
    """A cell that looks like a list literal but does not parse as one."""


def _unquoted(text: str) -> str:
    """An item wrapped in a pair of quotes ("a"; "b") without them; a quote that closes a
    quotation inside the item (The app says "Offline") stays."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _clean(items: list[Any]) -> list[str]:
    out = []
    for item in items:
        text = _unquoted(str(item).strip())
        if text and text.casefold() not in EMPTY_MARKERS:
            out.append(text)
    return out


def _numbered_steps(text: str) -> list[str] | None:
    """'1. Do this. 2. Do that.' -> steps, when the numbers run 1, 2, 3, ..."""
    marks = list(_NUMBERED_STEP.finditer(text))
    if len(marks) < 2 or [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return None
    if text[: marks[0].start()].strip():
        return None
    bounds = [m.end() for m in marks]
    ends = [m.start() for m in marks[1:]] + [len(text)]
    return _clean([text[start:end] for start, end in zip(bounds, ends, strict=True)])


def parse_literal_list(text: str) -> list[str]:
    """A bracketed cell: JSON first, then a Python literal; anything else is an error."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, (list, tuple)):
            return _clean(list(value))
    raise ListCellError(f"looks like a list but is neither JSON nor a Python literal: {text[:60]!r}")


def parse_list_cell(value: Any, *, split_commas: bool = True) -> list[str]:
    """Any cell as a list. `split_commas=False` keeps prose with commas in one piece."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return _clean(list(value))
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        return parse_literal_list(text)
    if text.startswith("[") or (text.endswith("]") and "[" not in text):
        raise ListCellError(f"unbalanced list brackets: {text[:60]!r}")
    steps = _numbered_steps(text)
    if steps is not None:
        return steps
    for delimiter in _DELIMITERS:
        if delimiter not in text:
            continue
        pieces = text.split(delimiter)
        if delimiter in (",", "，") and not (split_commas and _short_items(pieces)):
            break
        return _clean(pieces)
    return _clean([text])


def _short_items(pieces: list[str]) -> bool:
    """Commas separate list items only between short phrases: in prose they join clauses."""
    return all(len(piece.split()) <= _MAX_COMMA_ITEM_WORDS for piece in pieces)


def looks_like_list(value: Any) -> bool:
    """Whether a field without a list role still holds a list here: only an explicit one, so
    prose with semicolons stays prose."""
    if isinstance(value, (list, tuple)):
        return True
    text = str(value).strip()
    return text.startswith("[") and text.endswith("]")
