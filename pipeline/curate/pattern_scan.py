"""Every screened pattern asked at once: one Hyperscan pass over a text tells which patterns
can match it, so a screen rules out a pattern with a set lookup instead of a loop of substring
tests, and rules out more (the pattern's whole shape, not one of its words), on Chinese text
too, where the word screens do not answer.

Each pattern is rewritten (`pattern_rewrite`) into one that matches wherever the Python one
does: an ASCII form scanned over ASCII text and a UTF-8 form over the rest. A wider pattern
only lets the Python pattern run where it would not have had to; the decision is always the
Python pattern's. A pattern that cannot be rewritten, or that Hyperscan refuses (too large, or
matching empty text: a screen that rules nothing out), keeps its word screen.

The databases are compiled once a process has asked enough questions to pay back their
compile time (about two seconds), so a small run never compiles them, and kept in the user's
cache directory (`$XDG_CACHE_HOME` or `~/.cache`, under `seedforge/pattern-scan`), so later
processes load them in milliseconds; without the `hyperscan` package every screen keeps its
words."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.curate.pattern_rewrite import rewritten

try:
    import hyperscan
except ImportError:  # not built for every platform: the word screens alone then
    hyperscan = None  # type: ignore[assignment]

UNUSED_DAYS = 30  # a cached database no process loaded for this long is removed
_WORTH_COMPILING = 500_000  # questions a process asks before the databases pay their compile


class _Database:
    """The compiled patterns of one form, scanned once per text (the checks ask about the
    same field many times, so the last texts' answers are kept)."""

    def __init__(self, ids: frozenset[int], compiled: Any, utf8: bool):
        self.utf8 = utf8
        self.ids = ids
        self._covered: dict[frozenset[int], bool] = {}
        self._compiled = compiled
        self.scan: Callable[[str], frozenset[int] | None] = lru_cache(maxsize=64)(self._scan)

    def covers(self, pattern_ids: frozenset[int]) -> bool:
        """Whether every one of the patterns is compiled here; asked once per set."""
        covered = self._covered.get(pattern_ids)
        if covered is None:
            covered = self._covered[pattern_ids] = pattern_ids <= self.ids
        return covered

    def _scan(self, text: str) -> frozenset[int] | None:
        try:
            data = text.encode("utf-8" if self.utf8 else "ascii")
        except UnicodeEncodeError:  # a lone surrogate: no answer, the pattern decides
            return None
        found: list[int] = []
        assert self._compiled is not None  # no expressions: no ids, never asked
        self._compiled.scan(data, match_event_handler=_collect, context=found)
        return frozenset(found)


def _collect(pattern_id: int, _start: int, _end: int, _flags: int, found: list[int]) -> None:
    found.append(pattern_id)


def _compiled(expressions: dict[int, bytes]) -> Any:
    database = hyperscan.Database()
    database.compile(
        expressions=list(expressions.values()),
        ids=list(expressions),
        elements=len(expressions),
        flags=[hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_DOTALL] * len(expressions),
    )
    return database


def _accepted(expression: bytes) -> bool:
    try:
        _compiled({0: expression})
    except hyperscan.error:
        return False
    return True


def _compile(patterns: dict[tuple[str, int], int], utf8: bool) -> _Database:
    """The patterns that can be rewritten, all compiled, or (when Hyperscan refuses one) those
    it accepts one by one; from the disk cache when this machine compiled them before."""
    expressions = {}
    for (source, flags), pattern_id in patterns.items():
        try:
            expressions[pattern_id] = rewritten(source, flags, utf8).encode("ascii")
        except (ValueError, re.error):  # Unsupported among them: the word screen answers
            continue
    path = _cache_file(expressions)
    cached = _cached(path) if path is not None else None
    if cached is not None:
        return _Database(*cached, utf8)
    try:
        compiled = _compiled(expressions) if expressions else None
    except hyperscan.error:
        expressions = {key: value for key, value in expressions.items() if _accepted(value)}
        compiled = _compiled(expressions) if expressions else None
    if path is not None and compiled is not None:
        _store(path, frozenset(expressions), compiled)
    return _Database(frozenset(expressions), compiled, utf8)


def _cache_file(expressions: dict[int, bytes]) -> Path | None:
    """Where this set of expressions is kept compiled: the user's cache directory, named by
    the expressions, their ids, Hyperscan's version and the machine kind."""
    version = getattr(hyperscan, "__version__", "")
    digest = hashlib.sha256(f"{version} {platform.machine()}".encode())
    for pattern_id, expression in sorted(expressions.items()):
        digest.update(b"%d:%s\0" % (pattern_id, expression))
    try:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory: compiled in every process
        return None
    return root / "seedforge" / "pattern-scan" / f"{digest.hexdigest()[:32]}.hsdb"


def _cached(path: Path) -> tuple[frozenset[int], Any] | None:
    """The ids and database stored at `path`; None when missing, damaged or built for another
    CPU (Hyperscan refuses its scratch space then)."""
    try:
        header, _, blob = path.read_bytes().partition(b"\n")
        ids = frozenset(int(pattern_id) for pattern_id in json.loads(header))
        database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        database.scratch = hyperscan.Scratch(database)
    except (OSError, ValueError, TypeError, hyperscan.error):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # in use: `_store` prunes by this time
    return ids, database


def _store(path: Path, ids: frozenset[int], database: Any) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(json.dumps(sorted(ids)).encode() + b"\n" + hyperscan.dumpb(database))
        os.replace(temporary, path)  # whole or not at all, whoever else writes it meanwhile
    except OSError:  # a read-only cache: compiled again next time
        with contextlib.suppress(OSError):
            temporary.unlink()
        return
    _prune(path.parent)


def _prune(folder: Path, unused_days: float = UNUSED_DAYS) -> None:
    """Databases no process has loaded for `unused_days` (those of older seedforge or Hyperscan
    versions, about 1.2 MB each) are removed when a new one is stored. Another installation
    still using one only compiles it again."""
    oldest = time.time() - unused_days * 86_400
    for stale in folder.glob("*.hsdb"):
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < oldest:
                stale.unlink()


class PatternScan:
    """The patterns every screen registers, scanned together once a process asks enough."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, int], int] = {}
        # None until compiled; read directly by the screens, whose questions are the hot path
        self.ascii: _Database | None = None
        self.utf8: _Database | None = None
        self._questions = 0
        self._closed = hyperscan is None

    def register(self, source: str, flags: int) -> int:
        """An id for the pattern; the same pattern registered twice shares it."""
        return self._ids.setdefault((source, flags), len(self._ids))

    def patterns(self) -> list[tuple[str, int]]:
        """The registered patterns (source, flags), in the order of their ids."""
        return list(self._ids)

    def may_match(self, pattern_id: int, text: str, ascii: bool) -> bool | None:
        """Whether the pattern may match `text` (`ascii`: `text.isascii()`, which the caller
        knows); None where the scan has no answer (not compiled yet, or not for this pattern)."""
        database = self._database(ascii)
        if database is None or pattern_id not in database.ids:
            return None
        found = database.scan(text)
        return None if found is None else pattern_id in found

    def may_match_any(self, pattern_ids: frozenset[int], text: str, ascii: bool) -> bool | None:
        """Whether any of the patterns may match `text`; None unless the scan answers for all."""
        database = self._database(ascii)
        if database is None or not database.covers(pattern_ids):
            return None
        found = database.scan(text)
        return None if found is None else not found.isdisjoint(pattern_ids)

    def _database(self, ascii: bool) -> _Database | None:
        database = self.ascii if ascii else self.utf8
        if database is None and not self._closed:
            self._questions += 1
            if self._questions >= _WORTH_COMPILING:
                self.compile()
                database = self.ascii if ascii else self.utf8
        return database

    def matched(self, text: str) -> frozenset[int] | None:
        """The ids of the compiled patterns that may match `text`; None while not compiled."""
        database = self.ascii if text.isascii() else self.utf8
        return None if database is None or not database.ids else database.scan(text)

    def compiled_ids(self, ascii: bool = True) -> frozenset[int]:
        database = self.ascii if ascii else self.utf8
        return frozenset() if database is None else database.ids

    def compile(self) -> None:
        """Compile every registered pattern Hyperscan takes, in both forms."""
        self._closed = True
        if hyperscan is not None:
            self.ascii, self.utf8 = _compile(self._ids, utf8=False), _compile(self._ids, utf8=True)

    def close(self) -> None:
        """Drop the databases and never compile again: every screen answers by its words."""
        self.ascii = self.utf8 = None
        self._closed = True


SCANS = PatternScan()
