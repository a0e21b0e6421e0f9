"""The knowledge-base store: SQLite, one file per KB under the data directory.

Each entry version is a row. An entry is identified by its source file and name; its id is a
hash of its content. Re-ingesting an unchanged file writes nothing; a changed entry becomes a
new version (the old one `superseded`); an entry gone from its file is marked `removed`.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import SeedforgeError
from pipeline.kb.entry import KBEntry
from pipeline.records import utc_now

KB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KB_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    row INTEGER NOT NULL,
    name TEXT NOT NULL,
    facts TEXT NOT NULL,
    roles TEXT NOT NULL,
    domain TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'superseded', 'removed')),
    ingested_at TEXT NOT NULL,
    retired_at TEXT,
    UNIQUE (source, entry_key, version)
);
CREATE INDEX IF NOT EXISTS entries_status ON entries (status, source);
CREATE TABLE IF NOT EXISTS dialogues (
    record_id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    out_file TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dialogues_entry ON dialogues (entry_id, kind);
CREATE TABLE IF NOT EXISTS dialogue_attempts (
    entry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (entry_id, kind)
);
"""
_COLUMNS = "id, source, entry_key, version, row, name, facts, roles, domain, language, status"


@dataclass
class SourceChanges:
    source: str
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
        }


def kb_path(data_dir: Path, name: str) -> Path:
    if not KB_NAME.match(name):
        raise SeedforgeError(f"knowledge-base name {name!r}: use letters, digits, '.', '_' or '-'")
    return data_dir / "kb" / f"{name}.sqlite3"


def _entry(row: tuple[Any, ...]) -> KBEntry:
    id_, source, _key, version, line, name, facts, roles, domain, language, status = row
    return KBEntry(
        id=id_,
        source=source,
        version=version,
        row=line,
        name=name,
        facts=json.loads(facts),
        roles=json.loads(roles),
        domain=domain,
        language=language,
        status=status,
    )


def _unwritable(path: Path, exc: Exception) -> SeedforgeError:
    return SeedforgeError(f"cannot write the knowledge-base store ({exc}); check its folder", path=path)


class KBStore:
    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(KB_SCHEMA)
        except (OSError, sqlite3.OperationalError) as exc:
            raise _unwritable(path, exc) from None

    @classmethod
    def open(cls, data_dir: Path, name: str) -> KBStore:
        return cls(kb_path(data_dir, name))

    @classmethod
    def open_existing(cls, data_dir: Path, name: str) -> KBStore:
        path = kb_path(data_dir, name)
        if not path.is_file():
            raise SeedforgeError(
                f"no knowledge base named {name!r}; run `seedforge ingest PATH --kb {name}` first", path=path
            )
        return cls(path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> KBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: an exception inside leaves the store as it was."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _unwritable(self.path, exc) from None
        try:
            yield self._conn
        except BaseException as exc:
            self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise _unwritable(self.path, exc) from None
            raise
        self._conn.execute("COMMIT")

    # ---- reading ---------------------------------------------------------------------------
    def entries(self, status: str | None = "active", source: str | None = None) -> list[KBEntry]:
        query, args = f"SELECT {_COLUMNS} FROM entries WHERE 1=1", []
        if status is not None:
            query += " AND status = ?"
            args.append(status)
        if source is not None:
            query += " AND source = ?"
            args.append(source)
        rows = self._conn.execute(query + " ORDER BY source, row, version", args).fetchall()
        return [_entry(row) for row in rows]

    def history(self, source: str, name_key: str) -> list[KBEntry]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE source = ? AND entry_key = ? ORDER BY version",
            (source, name_key),
        ).fetchall()
        return [_entry(row) for row in rows]

    def counts(self) -> dict[str, int]:
        rows = self._conn.execute("SELECT status, COUNT(*) FROM entries GROUP BY status").fetchall()
        return dict(rows)

    # ---- ingesting -------------------------------------------------------------------------
    def apply(self, conn: sqlite3.Connection, source: str, entries: list[KBEntry]) -> SourceChanges:
        """Bring one source up to date with its freshly loaded entries (inside a transaction)."""
        changes = SourceChanges(source)
        now = utc_now()
        current = {e.key: e for e in self.entries("active", source)}
        for entry in entries:
            old = current.pop(entry.key, None)
            if old is not None and old.id == entry.id:
                changes.unchanged.append(entry.id)
                if old.row != entry.row:  # moved within the file: same content, same version
                    conn.execute(
                        "UPDATE entries SET row = ? WHERE source = ? AND entry_key = ? AND version = ?",
                        (entry.row, source, entry.key, old.version),
                    )
                continue
            last = conn.execute(
                "SELECT MAX(version) FROM entries WHERE source = ? AND entry_key = ?", (source, entry.key)
            ).fetchone()[0]
            if old is not None:
                conn.execute(
                    "UPDATE entries SET status = 'superseded', retired_at = ? WHERE"
                    " source = ? AND entry_key = ? AND version = ?",
                    (now, source, entry.key, old.version),
                )
                changes.changed.append(entry.id)
            else:
                changes.new.append(entry.id)
            conn.execute(
                "INSERT INTO entries (id, source, entry_key, version, row, name, facts, roles,"
                " domain, language, status, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,'active',?)",
                (
                    entry.id,
                    source,
                    entry.key,
                    (last or 0) + 1,
                    entry.row,
                    entry.name,
                    json.dumps(entry.facts, ensure_ascii=False),
                    json.dumps(entry.roles, ensure_ascii=False),
                    entry.domain,
                    entry.language,
                    now,
                ),
            )
        for gone in current.values():
            conn.execute(
                "UPDATE entries SET status = 'removed', retired_at = ? WHERE source = ?"
                " AND entry_key = ? AND version = ?",
                (now, source, gone.key, gone.version),
            )
            changes.removed.append(gone.id)
        return changes

    # ---- dialogues generated from entries ------------------------------------------------------
    def record_generation(
        self, kind: str, out_file: str, kept: list[tuple[str, str]], attempts: dict[str, int]
    ) -> None:
        """After the output file is written: (record id, entry id) per kept dialogue, and how
        many attempts each entry used (the next run continues with fresh sample indexes)."""
        now = utc_now()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO dialogues (record_id, entry_id, kind, out_file,"
                " created_at) VALUES (?,?,?,?,?)",
                [(record, entry, kind, out_file, now) for record, entry in kept],
            )
            conn.executemany(
                "INSERT INTO dialogue_attempts (entry_id, kind, attempts) VALUES (?,?,?)"
                " ON CONFLICT (entry_id, kind) DO UPDATE SET attempts = attempts +"
                " excluded.attempts",
                [(entry, kind, n) for entry, n in attempts.items()],
            )

    def dialogue_counts(self, kind: str) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT entry_id, COUNT(*) FROM dialogues WHERE kind = ? GROUP BY entry_id", (kind,)
        ).fetchall()
        return dict(rows)

    def attempt_counts(self, kind: str) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT entry_id, attempts FROM dialogue_attempts WHERE kind = ?", (kind,)
        ).fetchall()
        return dict(rows)
