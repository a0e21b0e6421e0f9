"""Every screened pattern asked at once: one Hyperscan pass over an ASCII text tells which
patterns can match it, so a screen rules out a pattern with a set lookup instead of a loop of
substring tests, and rules out more (the pattern's whole shape, not one of its words).

Hyperscan does not speak Python's regex dialect, so each pattern is rewritten from Python's
own parse tree into a pattern that matches wherever the Python one does, on ASCII text:

- every character item (a literal, a class, `.`, `\\s`) becomes the exact set of ASCII bytes
  Python's engine matches with it, asked of Python itself under the item's flags, so case
  folding, `\\s` holding `\\x1c`, `re.ASCII` and `(?i:…)` come out right; what can match only
  non-ASCII text becomes a byte no ASCII text holds;
- what Hyperscan cannot do is dropped or widened, never narrowed: a lookaround is left out, a
  back reference matches anything, a lazy or possessive repeat is greedy, `^` and `$` under
  MULTILINE are left out.

A wider pattern only lets the Python pattern run where it would not have had to; the decision
is always the Python pattern's. A pattern that cannot be rewritten (or that Hyperscan refuses,
or that would match empty text) keeps its word screen. The database is compiled once a process
has asked enough questions to pay back its compile time (about half a second), so a small run
never compiles it; without the `hyperscan` package every screen keeps its words."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]  # see pattern_screen
from re import _parser  # type: ignore[attr-defined]
from typing import Any

try:
    import hyperscan
except ImportError:  # not built for every platform: the word screens alone then
    hyperscan = None  # type: ignore[assignment]

_NEVER = r"\xff"  # a byte no ASCII text holds
_ANY_TEXT = r"[\x00-\xff]*"
_SCOPED = re.IGNORECASE | re.DOTALL | re.ASCII | re.MULTILINE | re.VERBOSE | re.UNICODE
_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


class Unsupported(ValueError):
    """A construct the rewrite does not know; the pattern keeps its word screen."""


@lru_cache(maxsize=4096)
def _ascii_matched(item: str, flags: int) -> str:
    """The ASCII characters the one-character pattern `item` matches, as a Hyperscan class."""
    compiled = re.compile(item, flags & ~re.VERBOSE)
    codes = [code for code in range(128) if compiled.fullmatch(chr(code))]
    if not codes:
        return _NEVER
    if len(codes) == 1:
        return _byte(codes[0])
    runs: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code == previous + 1:
            previous = code
            continue
        runs.append(_byte(start) if start == previous else f"{_byte(start)}-{_byte(previous)}")
        start = previous = code
    return "[" + "".join(runs) + "]"


def _byte(code: int) -> str:
    """One ASCII character in a Hyperscan pattern, short where it can be (patterns have a
    length limit): a letter or digit as itself."""
    return chr(code) if chr(code).isalnum() else rf"\x{code:02x}"


def _class_item(op: Any, value: Any) -> str:
    if op is sre.LITERAL:
        return re.escape(chr(value))
    if op is sre.RANGE:
        return f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}"
    if op is sre.CATEGORY and value in _CATEGORIES:
        return _CATEGORIES[value]
    raise Unsupported(f"class item {op}")


def _character(op: Any, value: Any, flags: int) -> str:
    """One character item as the Python source `_ascii_matched` asks about."""
    if op is sre.LITERAL:
        return _ascii_matched(re.escape(chr(value)), flags)
    if op is sre.NOT_LITERAL:
        return _ascii_matched(f"[^{re.escape(chr(value))}]", flags)
    if op is sre.ANY:
        return _ascii_matched(".", flags)
    negated = bool(value) and value[0][0] is sre.NEGATE
    body = "".join(_class_item(kind, item) for kind, item in value[negated:])
    return _ascii_matched(f"[{'^' if negated else ''}{body}]", flags)


def _position(value: Any, flags: int) -> str:
    multiline = bool(flags & re.MULTILINE)
    if value in (sre.AT_BEGINNING_STRING,) or (value is sre.AT_BEGINNING and not multiline):
        return r"\A"
    if value is sre.AT_END and not multiline:
        return "$"  # Hyperscan's, like Python's: the end or before a final newline
    if value is sre.AT_END_STRING:
        return r"\z"
    if value is sre.AT_BOUNDARY:
        return r"\b"  # on ASCII text Python's \w is [A-Za-z0-9_], as Hyperscan's
    if value is sre.AT_NON_BOUNDARY:
        return r"\B"
    return ""  # a line anchor: left out, which only widens


def _sequence(items: Any, flags: int) -> str:
    return "".join(_item(op, value, flags) for op, value in items)


def _item(op: Any, value: Any, flags: int) -> str:
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
        return _character(op, value, flags)
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = value
        return f"(?:{_sequence(body, (flags | add_flags) & ~del_flags)})"
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(part, flags) for part in value[1]) + ")"
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, most, body = value
        upper = "" if most is sre.MAXREPEAT else str(most)
        return f"(?:{_sequence(body, flags)}){{{least},{upper}}}"
    if op is sre.ATOMIC_GROUP:
        return f"(?:{_sequence(value, flags)})"
    if op is sre.AT:
        return _position(value, flags)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return ""
    if op is sre.GROUPREF:
        return _ANY_TEXT
    if op is sre.GROUPREF_EXISTS:
        _group, present, absent = value
        return f"(?:{_sequence(present, flags)}|{_sequence(absent or [], flags)})"
    raise Unsupported(f"regex item {op}")


def rewritten(source: str, flags: int) -> str:
    """`source` (a Python pattern compiled with `flags`) as a Hyperscan pattern matching, on
    ASCII text, everywhere the Python one does."""
    parsed = _parser.parse(source, flags)
    return _sequence(list(parsed), parsed.state.flags & _SCOPED)


_WORTH_COMPILING = 500_000  # questions a process asks before the database pays its compile


class PatternScan:
    """The patterns every screen registers, scanned together once a process asks enough."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, int], int] = {}
        self._database: Any = None
        self.compiled_ids: frozenset[int] = frozenset()  # the others keep their word screens
        self._questions = 0
        self._closed = hyperscan is None
        self._scan: Callable[[str], frozenset[int]] = self._scan_once

    def register(self, source: str, flags: int) -> int:
        """An id for the pattern; the same pattern registered twice shares it."""
        return self._ids.setdefault((source, flags), len(self._ids))

    def patterns(self) -> list[tuple[str, int]]:
        """The registered patterns (source, flags), in the order of their ids."""
        return list(self._ids)

    def matched(self, text: str) -> frozenset[int] | None:
        """The ids of the compiled patterns that may match the ASCII `text`; None while the
        database is not compiled."""
        if self._database is None:
            if self._closed:
                return None
            self._questions += 1
            if self._questions < _WORTH_COMPILING:
                return None
            self.compile()
        return self._scan(text)

    def compile(self) -> None:
        """Compile every registered pattern Hyperscan takes; the others keep their words."""
        self._closed = True
        if hyperscan is None:
            return
        expressions = {}
        for (source, flags), pattern_id in self._ids.items():
            expression = _expression(source, flags)
            if expression is not None:
                expressions[pattern_id] = expression
        try:
            database = _database(expressions)
        except hyperscan.error:  # one refused (too large, or matching empty text): find which
            expressions = {key: value for key, value in expressions.items() if _accepted(value)}
            database = _database(expressions)
        if expressions:
            self._database, self.compiled_ids = database, frozenset(expressions)
            self._scan = lru_cache(maxsize=64)(self._scan_once)  # the checks ask about a field often

    def _scan_once(self, text: str) -> frozenset[int]:
        found: list[int] = []
        self._database.scan(text.encode("ascii"), match_event_handler=_collect, context=found)
        return frozenset(found)


def _collect(pattern_id: int, _start: int, _end: int, _flags: int, found: list[int]) -> None:
    found.append(pattern_id)


def _expression(source: str, flags: int) -> bytes | None:
    try:
        return rewritten(source, flags).encode("ascii")
    except (Unsupported, re.error):
        return None


def _database(expressions: dict[int, bytes]) -> Any:
    database = hyperscan.Database()
    if expressions:
        database.compile(
            expressions=list(expressions.values()),
            ids=list(expressions),
            elements=len(expressions),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions),
        )
    return database


def _accepted(expression: bytes) -> bool:
    """Whether Hyperscan takes the expression: not too large, and not matching empty text (a
    screen that would never rule anything out)."""
    try:
        _database({0: expression})
    except hyperscan.error:
        return False
    return True


SCANS = PatternScan()
