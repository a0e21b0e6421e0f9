"""Python patterns rewritten for Hyperscan, wider and never narrower: the rewrite matches a
text wherever the Python pattern does, so that a pattern Hyperscan finds no match for can be
skipped, while the decision stays the Python pattern's.

It works from Python's own parse tree, not the pattern's text, so the two dialects' spelling
never meets. Two forms:

- for ASCII text (bytes), each character item (a literal, a class, `.`, `\\s`) becomes the
  exact set of ASCII characters Python's engine matches with it, asked of Python itself under
  the item's flags, so case folding, `\\s` holding `\\x1c`, `re.ASCII` and `(?i:…)` come out
  right; what can match only non-ASCII text becomes a byte no ASCII text holds;
- for any other text (scanned as UTF-8 bytes), each item also holds its non-ASCII characters:
  a literal's bytes where case cannot widen it (Chinese has none), otherwise any run of
  non-ASCII bytes; the four non-ASCII characters Python folds onto ASCII letters (İ ı ſ K)
  where Python matches them; and `\\b`, whose Unicode meaning Hyperscan does not share, is
  left out.

What Hyperscan cannot do is dropped or widened: a lookaround is left out, a back reference
matches anything, a lazy or possessive repeat is greedy, `^` and `$` under MULTILINE are left
out."""

from __future__ import annotations

import _sre  # the regex engine's own case tables, which decide what IGNORECASE matches
import re
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]  # see pattern_screen
from re import _parser  # type: ignore[attr-defined]
from typing import Any

NEVER = r"\xff"  # a byte no ASCII text holds (only in the ASCII form)
ASCII_FOLDS = "\u0130\u0131\u017f\u212a"  # non-ASCII characters IGNORECASE matches to ASCII
_NON_ASCII = r"[\xc0-\xff][\x80-\xbf]*"  # in UTF-8 bytes: a lead byte, its continuation
_CHARSET_FLAGS = re.ASCII | re.UNICODE
_SCOPED = re.IGNORECASE | re.DOTALL | re.ASCII | re.MULTILINE | re.VERBOSE | re.UNICODE
_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}

_ASCII_UNDER_ASCII_FLAG = {sre.CATEGORY_DIGIT, sre.CATEGORY_SPACE, sre.CATEGORY_WORD}


class Unsupported(ValueError):
    """A construct the rewrite does not know; the pattern keeps its word screen."""


def _byte(code: int) -> str:
    """One ASCII character in a Hyperscan class, short where it can be (patterns have a
    length limit): a letter or digit as itself."""
    return chr(code) if chr(code).isalnum() else rf"\x{code:02x}"


def _runs(codes: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for code in sorted(set(codes)):
        if runs and code == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


def _class(ascii_codes: list[int]) -> str:
    """A Hyperscan class of ASCII codes; one character alone; NEVER for none."""
    runs = _runs(ascii_codes)
    if not runs:
        return NEVER
    if len(runs) == 1 and runs[0][0] == runs[0][1]:
        return _byte(runs[0][0])
    return "[" + "".join(_byte(lo) if lo == hi else f"{_byte(lo)}-{_byte(hi)}" for lo, hi in runs) + "]"


def _utf8(char: str) -> str:
    return "".join(rf"\x{byte:02x}" for byte in char.encode("utf-8"))


@lru_cache(maxsize=4096)
def _matched(item: str, flags: int, candidates: str) -> tuple[list[int], list[int]]:
    """The ASCII codes, and the code points among `candidates`, that the one-character
    pattern `item` matches under `flags`: Python's engine decides."""
    compiled = re.compile(item, flags & ~re.VERBOSE)
    ascii_codes = [code for code in range(128) if compiled.fullmatch(chr(code))]
    return ascii_codes, [ord(char) for char in candidates if compiled.fullmatch(char)]


class _Item:
    """One character item's Python source and what its non-ASCII characters are."""

    def __init__(self) -> None:
        self.source: list[str] = []
        self.exact: list[int] = []  # non-ASCII characters matched as themselves
        self.wide = False  # may match any non-ASCII character

    def literal(self, code: int, flags: int) -> None:
        self.source.append(re.escape(chr(code)))
        if code >= 0x80:
            self.range(code, code, flags)

    def range(self, low: int, high: int, flags: int) -> None:
        if high < 0x80:
            return
        if low == high and 0xD800 <= low <= 0xDFFF:
            return  # a lone surrogate: a text holding one is never scanned
        if low == high and not (flags & re.IGNORECASE and _sre.unicode_iscased(low)):
            self.exact.append(low)  # no case to fold: the character itself
        else:
            self.wide = True  # a range, or a letter with case: spelled in bytes, not worth it


def _character(op: Any, value: Any, flags: int, utf8: bool) -> str:
    item = _Item()
    if op is sre.LITERAL:
        item.literal(value, flags)
        source = item.source[0]
    elif op is sre.NOT_LITERAL:
        item.wide, source = True, f"[^{re.escape(chr(value))}]"
    elif op is sre.ANY:
        item.wide, source = True, "."
    else:
        negated = bool(value) and value[0][0] is sre.NEGATE
        for kind, member in value[negated:]:
            if kind is sre.LITERAL:
                item.literal(member, flags)
            elif kind is sre.RANGE:
                item.source.append(f"{re.escape(chr(member[0]))}-{re.escape(chr(member[1]))}")
                item.range(member[0], member[1], flags)
            elif kind is sre.CATEGORY and member in _CATEGORIES:
                item.source.append(_CATEGORIES[member])
                item.wide |= not (flags & re.ASCII and member in _ASCII_UNDER_ASCII_FLAG)
            else:
                raise Unsupported(f"class item {kind}")
        item.wide |= negated
        source = f"[{'^' if negated else ''}{''.join(item.source)}]"
    ascii_codes, folds = _matched(source, flags, ASCII_FOLDS if utf8 else "")
    if not utf8:
        return _class(ascii_codes)
    parts = [_class(ascii_codes)] if ascii_codes else []
    if item.wide:
        parts.append(_NON_ASCII)
    else:
        parts += [_utf8(chr(code)) for code in sorted(set(item.exact) | set(folds))]
    if not parts:
        raise Unsupported("a character item that matches nothing")
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _position(value: Any, flags: int, utf8: bool) -> str:
    multiline = bool(flags & re.MULTILINE)
    if value is sre.AT_BEGINNING_STRING or (value is sre.AT_BEGINNING and not multiline):
        return r"\A"
    if value is sre.AT_END and not multiline:
        return "$"  # Hyperscan's, like Python's: the end or before a final newline
    if value is sre.AT_END_STRING:
        return r"\z"
    if value in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY) and not utf8:
        return r"\b" if value is sre.AT_BOUNDARY else r"\B"  # ASCII text: Python's \w is [A-Za-z0-9_]
    return ""  # a line anchor, or a word boundary in Unicode text: left out, which only widens


def _sequence(items: Any, flags: int, utf8: bool) -> str:
    return "".join(_item(op, value, flags, utf8) for op, value in items)


def _item(op: Any, value: Any, flags: int, utf8: bool) -> str:
    if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
        return _character(op, value, flags, utf8)
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = value
        if add_flags & _CHARSET_FLAGS:  # a scoped (?a:…) or (?u:…) replaces the other
            flags &= ~_CHARSET_FLAGS
        return f"(?:{_sequence(body, (flags | add_flags) & ~del_flags, utf8)})"
    if op is sre.BRANCH:
        return "(?:" + "|".join(_sequence(part, flags, utf8) for part in value[1]) + ")"
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, most, body = value
        upper = "" if most is sre.MAXREPEAT else str(most)
        return f"(?:{_sequence(body, flags, utf8)}){{{least},{upper}}}"
    if op is sre.ATOMIC_GROUP:
        return f"(?:{_sequence(value, flags, utf8)})"
    if op is sre.AT:
        return _position(value, flags, utf8)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return ""
    if op is sre.GROUPREF:
        return ".*"  # compiled with DOTALL: any text
    if op is sre.GROUPREF_EXISTS:
        _group, present, absent = value
        return f"(?:{_sequence(present, flags, utf8)}|{_sequence(absent or [], flags, utf8)})"
    raise Unsupported(f"regex item {op}")


def refers_back(source: str, flags: int) -> bool:
    """Whether the pattern holds a back reference or a conditional group: cut into its
    alternatives, such a pattern would change meaning (group numbers move)."""

    def walk(items: Any) -> bool:
        for op, value in items:
            if op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
                return True
            if op is sre.SUBPATTERN:
                nested = [value[3]]
            elif op is sre.BRANCH:
                nested = list(value[1])
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
                nested = [value[2]]
            elif op in (sre.ASSERT, sre.ASSERT_NOT):
                nested = [value[1]]
            elif op is sre.ATOMIC_GROUP:
                nested = [value]
            else:
                nested = []
            if any(walk(part) for part in nested):
                return True
        return False

    return walk(_parser.parse(source, flags))


def rewritten(source: str, flags: int, utf8: bool = False) -> str:
    """`source` (a Python pattern compiled with `flags`) as a Hyperscan pattern (to compile
    with DOTALL) matching everywhere the Python one does: on ASCII text, or with `utf8` on any
    text's UTF-8 bytes."""
    parsed = _parser.parse(source, flags)
    return _sequence(list(parsed), parsed.state.flags & _SCOPED, utf8)
