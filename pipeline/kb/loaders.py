"""One file in, entries out: pick the loader by extension, apply the field mapping, parse list
cells, and check names. Every problem raises SeedforgeError naming the file and row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.kb.entry import KBEntry
from pipeline.kb.jsonfiles import flat_cell, load_json, load_jsonl
from pipeline.kb.lists import ListCellError, looks_like_list, parse_list_cell
from pipeline.kb.mapping import MappingFile, ResolvedMapping, resolve_mapping
from pipeline.kb.markdown import load_markdown
from pipeline.kb.plaintext import load_plain_text
from pipeline.kb.rows import RawRow, RawTable
from pipeline.kb.tabular import load_tabular
from pipeline.kb.textio import read_kb_text
from pipeline.llm.tokens import estimate_tokens
from pipeline.text import cjk_ratio

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}


def file_format(path: Path) -> str:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise SeedforgeError(
            f"unsupported file type {path.suffix or '(none)'!r}; known: {', '.join(sorted(FORMATS))}",
            path=path,
        )
    return kind


def load_table(path: Path, mapping: MappingFile) -> RawTable:
    kind = file_format(path)
    text = read_kb_text(path, mapping.encoding).text
    if kind in ("csv", "tsv"):
        return load_tabular(text, path, mapping.delimiter or ("," if kind == "csv" else "\t"))
    if kind == "json":
        return load_json(text, path)
    if kind == "jsonl":
        return load_jsonl(text, path)
    if kind == "markdown":
        table = load_markdown(text, path, mapping.heading_level)
        if table is not None:
            return table
    return load_plain_text(text, path, mapping.chunk_tokens)


def _fact(value: Any, field: str, resolved: ResolvedMapping, path: Path, row: RawRow) -> Any:
    value = flat_cell(value)
    try:
        if field in resolved.list_fields:
            return parse_list_cell(value)
        if looks_like_list(value):
            return parse_list_cell(value, split_commas=False)
    except ListCellError as exc:
        raise SeedforgeError(f"field {field!r}: {exc}", path=path, line=row.row) from None
    return " ".join(str(value).split()) if value is not None else ""


def _check_size(name: str, facts: dict[str, Any], limit: int, path: Path, row: RawRow) -> None:
    """An entry too large for a dialogue's prompt is bad input here, not an endpoint's HTTP 400
    on every prompt that draws it later."""
    size = estimate_tokens(name) + sum(
        estimate_tokens(" ".join(value) if isinstance(value, list) else value) for value in facts.values()
    )
    if size > limit:
        raise SeedforgeError(
            f"entry {name[:60]!r} holds about {size:,} tokens of facts, over max_entry_tokens "
            f"({limit:,}): a dialogue's prompt carries an entry whole; split the entry, or raise "
            "max_entry_tokens in the mapping file for an endpoint with a larger context",
            path=path,
            line=row.row,
        )


def _name(row: RawRow, number: int, resolved: ResolvedMapping, path: Path) -> str:
    """The entry's name: text (a number as its digits); a JSON object, list or true/false is
    refused, not stored as its JSON or Python text."""
    value = row.fields.get(resolved.name)
    if isinstance(value, (dict, list, bool)):
        got = "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a boolean"
        raise SeedforgeError(
            f"entry {number}: the name field {resolved.name!r} must be text, got {got}",
            path=path,
            line=row.row,
        )
    return " ".join(str(value or "").split())


def build_entry(
    row: RawRow, resolved: ResolvedMapping, mapping: MappingFile, path: Path, source: str, number: int
) -> KBEntry:
    """Entry `number` of its file (1-based) from its row."""
    name = _name(row, number, resolved, path)
    if not name:
        raise SeedforgeError(f"the name field {resolved.name!r} is empty", path=path, line=row.row)
    facts = {}
    for field in resolved.facts:
        value = _fact(row.fields.get(field), field, resolved, path, row)
        if value:
            facts[field] = value
    if not facts:
        raise SeedforgeError(
            f"entry {name!r} has no facts (fields: {', '.join(resolved.facts)})", path=path, line=row.row
        )
    roles = {role: field for role, field in resolved.roles.items() if role == "name" or field in facts}
    _check_size(name, facts, mapping.max_entry_tokens, path, row)
    language = mapping.language or ("zh" if cjk_ratio(name + " " + str(facts)) > 0.3 else "en")
    return KBEntry(
        name=name,
        facts=facts,
        roles=roles,
        domain=resolved.domain,
        language=language,
        source=source,
        row=row.row,
    )


def _disambiguate(entries: list[KBEntry], table: RawTable, path: Path) -> list[KBEntry]:
    """Tabular and JSON names must be unique; repeated headings become "Name (2)", "Name (3)"."""
    first_row: dict[str, int] = {}
    repeats: dict[str, int] = {}
    out = []
    for entry in entries:
        key = entry.key
        if key in first_row:
            if table.unique_names:
                raise SeedforgeError(
                    f"duplicate entry name {entry.name!r} (first at line {first_row[key]})",
                    path=path,
                    line=entry.row,
                )
            repeats[key] = repeats.get(key, 1) + 1
            entry = KBEntry.model_validate(
                {**entry.model_dump(exclude={"id"}), "name": f"{entry.name} ({repeats[key]})"}
            )
        first_row.setdefault(entry.key, entry.row)
        out.append(entry)
    return out


def load_entries(path: Path, mapping: MappingFile, source: str | None = None) -> list[KBEntry]:
    """Every entry of one file, or a SeedforgeError naming the file and row."""
    table = load_table(path, mapping)
    resolved = resolve_mapping(
        mapping, table.fields, path, header_line=table.header_line, default_name=table.default_name
    )
    source = source or str(path)
    entries = [
        build_entry(row, resolved, mapping, path, source, number)
        for number, row in enumerate(table.rows, start=1)
    ]
    return _disambiguate(entries, table, path)
