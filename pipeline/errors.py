"""One exception type for bad input: the CLI prints it and exits non-zero."""

from __future__ import annotations

from pathlib import Path


class SeedforgeError(Exception):
    """A user-facing error: says which file and line (or record) and what was expected."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path:
            where = self.path + (f":{line}" if line is not None else "")
            where += ": "
        super().__init__(where + message)
