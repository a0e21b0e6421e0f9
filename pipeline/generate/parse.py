"""Turn model answers into new instructions: JSON first (prose around it tolerated, a cut-off
array keeps its complete items), then the numbered list a model without structured output
tends to write. Numbering, bullets and full-width punctuation are stripped."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

_LIST_MARKER = re.compile(r"^\s*(?:(?:\d+|[一二三四五六七八九十]+)\s*[.)、．：:）]|[-*•·])\s*")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FIELD_PREFIX = re.compile(r"^\s*(?:instruction|task|指令|任务)\s*[:：]\s*", re.IGNORECASE)


@dataclass
class ParsedInstructions:
    instructions: list[str] = field(default_factory=list)
    failure: str | None = None  # reason code when nothing usable came out


def clean_item(text: str) -> str:
    text = _LIST_MARKER.sub("", text.strip(), count=1)
    text = _FIELD_PREFIX.sub("", text, count=1)
    return " ".join(text.split()).strip(" \"'")


def _from_json(text: str) -> list[str] | None:
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start:end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
        items = data.get("instructions") if isinstance(data, dict) else data
        if isinstance(items, list):
            return [item for item in items if isinstance(item, str)]
    return None


def _from_cut_json(text: str) -> list[str]:
    """The quoted strings after the array opened; a string left open by the cut never matches."""
    start = text.find("[")
    if start < 0:
        return []
    items = []
    for match in _QUOTED.finditer(text, start):
        try:
            items.append(json.loads(f'"{match.group(1)}"', strict=False))
        except json.JSONDecodeError:
            continue
    return items


def _from_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if _LIST_MARKER.match(line)]


def parse_instructions(text: str, *, truncated: bool = False) -> ParsedInstructions:
    """`truncated` (finish_reason == "length"): the last item may be cut, so it is dropped,
    as Alpaca does; JSON that still parses was not cut."""
    if not text or not text.strip():
        return ParsedInstructions(failure="empty_response")
    raw = _from_json(text)
    if raw is None:
        raw = _from_cut_json(text)
    if not raw:
        raw = _from_lines(text)
        if truncated and raw:
            raw = raw[:-1]
    seen: set[str] = set()
    instructions = []
    for item in raw:
        cleaned = clean_item(item)
        if cleaned and cleaned.casefold() not in seen:  # duplicated numbering, repeated items
            seen.add(cleaned.casefold())
            instructions.append(cleaned)
    if not instructions:
        return ParsedInstructions(failure="unparseable_response")
    return ParsedInstructions(instructions=instructions)
