"""New instructions from model output, which rarely follows the format it was asked for.

JSON first (prose around it tolerated; a cut-off array keeps its complete items; full-width
quotes and colons repaired as a last resort), then the numbered or bulleted list a model
without structured output writes. Numbering (also doubled, "1. 1."), bullets, field prefixes
and echoed placeholders are stripped; a list cut off by the token limit loses its last item,
as Alpaca does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from pipeline.generate.self_instruct.parse_json import json_candidates

_NUMBER = r"(?:\d{1,3}|[０-９]{1,3}|[一二三四五六七八九十]{1,3})"
_LIST_MARKER = re.compile(
    rf"^\s*(?:(?:task|任务)\s*{_NUMBER}\s*[:：.]|[(（]?{_NUMBER}\s*[.)、．：:）]|[-*•·]|#+)\s*", re.I
)
# a second item run into the same line: "... books. 2. List three ..."
_INLINE_ITEM = re.compile(r"(?<=[.!?。！？])\s+(?=\d{1,2}[.)]\s+\S)")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FIELD_PREFIX = re.compile(r"^\s*(?:instruction|task|指令|任务)\s*[:：]\s*", re.IGNORECASE)
# what the prompt's own wording looks like when a small model echoes it back
PLACEHOLDERS = {
    "",
    "...",
    "…",
    "……",
    "first task",
    "second task",
    "new task",
    "task",
    "第一个任务",
    "第二个任务",
    "新任务",
    "任务",
}
_HAS_WORD = re.compile(r"[^\W\d_]{2}")  # two letters: "]: {" and "9566 , 150 ," are no task
_STRAY = "]}),;:、，。 \t"
_HEADER_WORDS = re.compile(r"tasks?\b|examples?\b|任务|例子", re.IGNORECASE)


@dataclass
class ParsedInstructions:
    instructions: list[str] = field(default_factory=list)
    failure: str | None = None  # reason code when nothing usable came out
    source: str = ""  # "json", "cut_json" or "lines": which reading succeeded


def strip_marker(text: str) -> str:
    """Remove list markers and stray JSON punctuation, repeatedly: small models write
    "1. 1. Suggest ..." and '] 1. Draft ...'."""
    previous = None
    while previous != text:
        previous, text = text, _LIST_MARKER.sub("", text.lstrip(_STRAY), count=1)
    return text


def is_header(text: str) -> bool:
    """ "Here is a list of tasks:" introduces the list; it is not one of its items."""
    return text.endswith((":", "：")) and len(text) < 60 and bool(_HEADER_WORDS.search(text))


def clean_item(text: str) -> str:
    text = _FIELD_PREFIX.sub("", strip_marker(text.strip()), count=1)
    return " ".join(text.split()).strip(" \"'“”「」")


def _from_json(text: str) -> list[str] | None:
    for data in json_candidates(text):
        items = data.get("instructions", data.get("tasks")) if isinstance(data, dict) else data
        if isinstance(items, list):
            return [
                item if isinstance(item, str) else str(item.get("instruction", ""))
                for item in items
                if isinstance(item, (str, dict))
            ]
    return None


def _from_cut_json(text: str) -> list[str]:
    """The quoted strings after the array opened; a string left open by the cut never matches."""
    start, brace = text.find("["), text.find("{")
    if start < 0 or not 0 <= brace < start:
        return []
    items = []
    for match in _QUOTED.finditer(text, start):
        try:
            items.append(json.loads(f'"{match.group(1)}"', strict=False))
        except json.JSONDecodeError:
            continue
    return items


def _from_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        lines += _INLINE_ITEM.split(line)
    return [line for line in lines if _LIST_MARKER.match(line)]


def _split_listed(items: list[str]) -> list[str]:
    """A small model sometimes puts its whole numbered list inside one JSON string."""
    out: list[str] = []
    for item in items:
        listed = _from_lines(item)
        out += listed if len(listed) >= 2 else [item]
    return out


def keep_unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for item in _split_listed(items):
        cleaned = clean_item(item)
        key = cleaned.casefold()
        if (
            key not in PLACEHOLDERS
            and key not in seen
            and _HAS_WORD.search(cleaned)
            and not is_header(cleaned)
        ):
            seen.add(key)
            unique.append(cleaned)  # duplicated numbering and echoed prompts end here
    return unique


def parse_instructions(text: str, *, truncated: bool = False) -> ParsedInstructions:
    """`truncated` (finish_reason == "length"): a list's last item may be cut, so it is
    dropped; JSON that still parses was not cut, and a cut JSON string never closes."""
    if not text or not text.strip():
        return ParsedInstructions(failure="empty_response")
    raw, source = _from_json(text), "json"
    if raw is None:
        raw, source = _from_cut_json(text), "cut_json"
    if not raw:
        raw, source = _from_lines(text), "lines"
        if truncated and raw:
            raw = raw[:-1]
    instructions = keep_unique(raw)
    if not instructions:
        return ParsedInstructions(failure="unparseable_response")
    return ParsedInstructions(instructions=instructions, source=source)
