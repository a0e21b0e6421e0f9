"""CSV and TSV: one row per entry under a header row."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipeline.errors import SeedforgeError
from pipeline.kb.rows import RawRow, RawTable

_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def _name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def _check_header(header: list[str], first_line: str, delimiter: str, path: Path, line: int) -> None:
    if len(header) == 1:
        others = [d for d in _DELIMITER_NAMES if d != delimiter and d in first_line]
        if others:
            raise SeedforgeError(
                f"wrong delimiter: the header has one column when split on {_name(delimiter)}"
                f" but contains {_name(others[0])}s; set `delimiter:` in a mapping file",
                path=path,
                line=line,
            )
    names = [h.strip() for h in header]
    if any(not h for h in names):
        raise SeedforgeError(
            f"empty column name in the header (column {names.index('') + 1})", path=path, line=line
        )
    seen: set[str] = set()
    for name in names:
        if name.casefold() in seen:
            raise SeedforgeError(f"column {name!r} appears twice in the header", path=path, line=line)
        seen.add(name.casefold())


def load_tabular(text: str, path: Path, delimiter: str) -> RawTable:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_line = 1
    rows: list[RawRow] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header, header_line = record, line
                _check_header(header, text.splitlines()[line - 1], delimiter, path, line)
                continue
            if len(record) != len(header):
                raise SeedforgeError(
                    f"row has {len(record)} fields but the header has {len(header)} (wrong"
                    f" delimiter, or an unquoted {_name(delimiter)} inside a cell?)",
                    path=path,
                    line=line,
                )
            rows.append(RawRow(line, {h.strip(): cell for h, cell in zip(header, record, strict=True)}))
    except csv.Error as exc:
        raise SeedforgeError(
            f"malformed {'TSV' if delimiter == chr(9) else 'CSV'}: {exc}", path=path, line=reader.line_num
        ) from None
    if header is None:
        raise SeedforgeError("empty file: no header row", path=path, line=1)
    if not rows:
        raise SeedforgeError("no entries below the header row", path=path, line=header_line)
    return RawTable([h.strip() for h in header], rows, header_line)
