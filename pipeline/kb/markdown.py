"""Markdown: one entry per section. The heading names the entry; `**Key:** value` lines,
`- Key: value` bullets for known roles, and sub-headings become fields; other prose is `notes`."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.kb.mapping import ROLE_SYNONYMS, field_key
from pipeline.kb.rows import TITLE_FIELD, RawRow, RawTable

NOTES_FIELD = "notes"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_KEY = re.compile(r"^(?:[-*+]\s+)?\*\*(?P<key>[^*]{1,40}?)\s*[:：]?\s*\*\*\s*[:：]?\s*(?P<value>.*)$")
_PLAIN_KEY = re.compile(r"^(?:[-*+]\s+)?(?P<key>[^:：*#\[\]]{1,30}?)\s*[:：]\s*(?P<value>.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)])\s+(?P<item>.+)$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ROLE_NAMES = {name for names in ROLE_SYNONYMS.values() for name in names}


def headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, text) of every heading outside fenced code."""
    found, fenced = [], False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _HEADING.match(line)):
            found.append((index, len(match.group(1)), match.group(2).strip()))
    return found


def entry_level(found: list[tuple[int, int, str]]) -> int | None:
    """A lone top title over several sections: the sections are the entries."""
    counts = Counter(level for _, level, _ in found)
    repeated = sorted(level for level, n in counts.items() if n >= 2)
    if repeated:
        return repeated[0]
    return min(counts) if counts else None


def _field_name(key: str) -> str:
    return " ".join(key.strip().split())


class _Section:
    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.notes: list[str] = []
        self.current: str | None = None

    def set_field(self, key: str, value: str) -> None:
        name = _field_name(key)
        self.fields[name] = value.strip()
        self.current = name

    def add_item(self, item: str) -> None:
        assert self.current is not None
        value = self.fields.get(self.current)
        if not value:
            self.fields[self.current] = [item.strip()]
        elif isinstance(value, list):
            value.append(item.strip())
        else:
            self.fields[self.current] = f"{value} {item.strip()}"

    def feed(self, line: str, sub_heading: str | None) -> None:
        stripped = line.strip()
        if sub_heading is not None:
            self.set_field(sub_heading, "")
        elif not stripped:
            self.current = None
            self.notes.append("")
        elif match := _BOLD_KEY.match(stripped):
            self.set_field(match.group("key"), match.group("value"))
        elif (match := _PLAIN_KEY.match(stripped)) and field_key(match.group("key")) in _ROLE_NAMES:
            self.set_field(match.group("key"), match.group("value"))
        elif self.current is not None and (bullet := _BULLET.match(line)):
            self.add_item(bullet.group("item"))
        elif self.current is not None:
            self.add_item(stripped)
        else:
            self.notes.append(stripped)

    def result(self, title: str) -> dict[str, Any]:
        fields: dict[str, Any] = {TITLE_FIELD: title}
        fields.update({k: v for k, v in self.fields.items() if v})
        paragraphs: list[list[str]] = [[]]
        for line in self.notes:
            if line:
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        notes = "\n\n".join(" ".join(p) for p in paragraphs if p)
        if notes:
            fields[NOTES_FIELD] = notes
        return fields


def load_markdown(text: str, path: Path, level: int | None) -> RawTable | None:
    """None when the file has no headings (the caller then chunks it as plain text)."""
    lines = text.splitlines()
    found = headings(lines)
    level = level or entry_level(found)
    if level is None:
        return None
    starts = [(index, title) for index, lvl, title in found if lvl == level]
    if not starts:
        raise SeedforgeError(f"no level-{level} headings (## Title) to split entries on", path=path)
    sub = {index: title for index, lvl, title in found if lvl > level}
    ends = {index for index, lvl, _ in found if lvl <= level}
    rows, fields = [], {TITLE_FIELD: None}
    for index, title in starts:
        section = _Section()
        cursor = index + 1
        while cursor < len(lines) and cursor not in ends:
            section.feed(lines[cursor], sub.get(cursor))
            cursor += 1
        row = section.result(title)
        fields.update(dict.fromkeys(row))
        rows.append(RawRow(index + 1, row))
    if NOTES_FIELD in fields:  # notes last: the named fields are the facts people look for
        fields[NOTES_FIELD] = fields.pop(NOTES_FIELD)
    return RawTable(
        list(fields), rows, header_line=starts[0][0] + 1, default_name=TITLE_FIELD, unique_names=False
    )
