"""Raw rows as loaders produce them, before the mapping turns them into entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TITLE_FIELD = "title"  # the name field loaders make from a heading or a first line


@dataclass
class RawRow:
    row: int  # line where the entry starts in its file (1-based)
    fields: dict[str, Any]


@dataclass
class RawTable:
    fields: list[str]
    rows: list[RawRow]
    header_line: int = 1
    default_name: str | None = None  # name field when the format implies one (Markdown headings)
    unique_names: bool = True  # tabular/JSON names must be unique; headings may repeat
    extra: dict[str, Any] = field(default_factory=dict)
