"""Cheap work the checks share, so that a record costs a fraction of a millisecond: a field's
tokens computed once (several checks read the same field), and screens that rule out a long
pattern before it runs.

A screen only ever says "cannot match". It holds words one of which every match of its pattern
contains, read from the pattern itself (its parse tree: literal runs, alternatives, repeats of at
least one), so that editing a pattern cannot leave a stale word list behind. It answers only on
ASCII text: under re.IGNORECASE a pattern's "s" also matches "ſ" and its "k" the Kelvin sign,
which a lower-cased substring test would miss, while on ASCII text a pattern's ASCII letter
matches exactly its two cases, which `str.lower` folds. Other text goes to the pattern itself.

Once a process has asked enough questions, `pattern_scan` answers instead, for every pattern
it compiled and on any text: one Hyperscan pass over a field says which patterns can match."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property, lru_cache
from re import _constants as sre  # type: ignore[attr-defined]  # the standard library's own
from re import _parser  # type: ignore[attr-defined]  # regex parser, private but there since 3.11
from typing import Any

from pipeline.curate.pattern_rewrite import refers_back
from pipeline.curate.pattern_scan import SCANS
from pipeline.text import tokenize


@lru_cache(maxsize=64)  # a record's fields, read by leakage, role confusion and answer type
def tokens(text: str) -> tuple[str, ...]:
    """`pipeline.text.tokenize`, computed once per text."""
    return tuple(tokenize(text))


@lru_cache(maxsize=64)
def _lowered(text: str) -> str:
    return text.lower()


Needles = frozenset[str]


def _literal(code: int, folded: bool) -> str | None:
    """A pattern's literal character as a screen looks for it; None where a screen cannot: a
    case-insensitive letter with case outside ASCII ("ſ" matches "s")."""
    char = chr(code)
    if not folded:
        return char
    if char.isascii():
        return char.lower()
    return char if char.lower() == char.upper() else None


def _rarity(needle: str) -> int:
    """How rare a needle likely is in the ASCII text screens read: never there when it is not
    ASCII itself; else its longest word (" is to " is as common as "is"), or twice its
    punctuation ("<", "{" are rarer than a letter; " " is everywhere)."""
    if not needle.isascii():
        return 100
    symbols = sum(not char.isalnum() and not char.isspace() for char in needle)
    return max(max(map(len, re.split(r"\W+", needle))), 2 * symbols)


def _best(options: list[Needles]) -> Needles | None:
    """Of several requirements that all hold, the one a text is least likely to meet: the
    rarest commonest needle, then the fewest needles."""
    if not options:
        return None
    return max(options, key=lambda needles: (min(map(_rarity, needles)), -len(needles)))


_MOST = 64  # needles one screen may hold


def _characters(op: Any, value: Any, folded: bool) -> set[str] | None:
    """The characters one item matches, when it is a literal or a class naming a few."""
    if op is sre.LITERAL:
        char = _literal(value, folded)
        return {char} if char is not None else None
    if op is sre.IN and all(kind is sre.LITERAL for kind, _ in value):
        chars = {_literal(code, folded) for _, code in value}
        return None if None in chars else chars  # type: ignore[return-value]
    return None


def _repeated(op: Any, value: Any, folded: bool) -> set[str] | None:
    """The characters of a repeat (at least once) of one literal or small class."""
    if (
        op not in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
        or value[0] < 1
        or len(value[2]) != 1
    ):
        return None
    body_op, body_value = value[2][0]
    return _characters(body_op, body_value, folded)


def _sequence(items: list[tuple[Any, Any]], folded: bool) -> Needles | None:
    """Items in a row: each contiguous stretch of literals and small classes ("[.,;:][,;]")
    is a requirement (one of its spellings), and so is each item's own."""
    options: list[Needles] = []
    spellings = {""}  # of the current stretch
    for op, value in items:
        chars = _characters(op, value, folded)
        if chars is not None and len(spellings) * len(chars) <= _MOST:
            spellings = {spelling + char for spelling in spellings for char in chars}
            continue
        repeated = _repeated(op, value, folded)
        if repeated and len(spellings) * len(repeated) <= _MOST:  # " +[.,]": " ." or " ,"
            options.append(frozenset(spelling + char for spelling in spellings for char in repeated))
            spellings = set(repeated)  # the stretch ends at the first repetition, goes on after the last
            continue
        if spellings != {""}:
            options.append(frozenset(spellings))
            spellings = {""}
        found = _item(op, value, folded)
        if found:
            options.append(found)
    if spellings != {""}:
        options.append(frozenset(spellings))
    return _best(options)


def _item(op: Any, value: Any, folded: bool) -> Needles | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = value
        if (add_flags | del_flags) & re.IGNORECASE:
            return None  # a scoped case flag: not worth reading
        return _sequence(list(body), folded)
    if op is sre.BRANCH:
        union: set[str] = set()
        for alternative in value[1]:
            found = _sequence(list(alternative), folded)
            if not found:
                return None  # this alternative needs no word
            union |= found
        return frozenset(union)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, _most, body = value
        return _sequence(list(body), folded) if least >= 1 else None
    if op is sre.ATOMIC_GROUP:
        return _sequence(list(value), folded)
    chars = _characters(op, value, folded)
    return frozenset(chars) if chars else None  # a class too large to spell out: no word
    # (a range, a category, a position, a lookaround, a back reference: no word either)


def needles(pattern: re.Pattern[str]) -> Needles | None:
    """Words (lower case where the pattern ignores case) one of which every match of `pattern`
    contains, or None when the pattern needs no particular word."""
    folded = bool(pattern.flags & re.IGNORECASE)
    return _sequence(list(_parser.parse(pattern.pattern, pattern.flags)), folded)


class Screened:
    """A compiled pattern with its screen: `search`, `match`, `finditer` and `findall` give
    what the pattern's own give, skipping the pattern on ASCII text that lacks every needle."""

    def __init__(self, pattern: re.Pattern[str], scanned: bool = True):
        self.pattern = pattern
        found = needles(pattern) or frozenset()
        # a needle that holds another is found only where that one is: the shorter suffices
        self.needles = tuple(sorted(n for n in found if not any(o != n and o in n for o in found)))
        self._ascii = tuple(needle for needle in self.needles if needle.isascii())  # the others: never
        self._folded = bool(pattern.flags & re.IGNORECASE)  # in ASCII text
        self._scan_id = SCANS.register(pattern.pattern, pattern.flags) if scanned else -1

    def ruled_out(self, text: str) -> bool:
        ascii = text.isascii()
        database = SCANS.ascii if ascii else SCANS.utf8
        if database is None:  # not compiled (yet): asking counts towards compiling
            answer = SCANS.may_match(self._scan_id, text, ascii)
            if answer is not None:
                return not answer
        elif self._scan_id in database.ids:  # `may_match` inlined: the checks ask ~50 times a record
            found = database.scan(text)
            if found is not None:
                return self._scan_id not in found
        if not ascii or not self.needles:
            return False
        seen = _lowered(text) if self._folded else text
        for needle in self._ascii:  # a loop: ~50 ns a needle, no generator
            if needle in seen:
                return False
        return True

    def search(self, text: str) -> re.Match[str] | None:
        return None if self.ruled_out(text) else self.pattern.search(text)

    def match(self, text: str) -> re.Match[str] | None:
        return None if self.ruled_out(text) else self.pattern.match(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return iter(()) if self.ruled_out(text) else self.pattern.finditer(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return None if self.ruled_out(text) else self.pattern.fullmatch(text)

    def findall(self, text: str) -> list[Any]:
        return [] if self.ruled_out(text) else self.pattern.findall(text)


def screened(pattern: str, flags: int = 0) -> Screened:
    """`re.compile(pattern, flags)` with a screen."""
    return Screened(re.compile(pattern, flags))


_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def top_level_alternatives(pattern: str, flags: int = 0) -> list[str]:
    """`pattern` cut at each `|` outside groups and character classes: `"a|(b|c)|[|]"` gives
    `["a", "(b|c)", "[|]"]`. Refused where the cut would change meaning: inline global flags,
    VERBOSE (a `|` in a comment), back references and conditional groups (numbers move)."""
    if _INLINE_FLAGS.match(pattern) or flags & re.VERBOSE or refers_back(pattern, flags):
        raise ValueError("this pattern cannot be cut into alternatives")
    parts, depth, start, at = [], 0, 0, 0
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 2
            continue
        if char == "[":  # a class: "]" first (after an optional "^") is a literal
            at += 1
            at += pattern.startswith("^", at)
            at += pattern.startswith("]", at)
            while at < len(pattern) and pattern[at] != "]":
                at += 2 if pattern[at] == "\\" else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:at])
            start = at + 1
        at += 1
    parts.append(pattern[start:])
    return parts


class ScreenedAlternatives(Screened):
    """A long alternation ("a|b|c…") whose screen, the union of every alternative's needles,
    holds common words, and whose search is slow because every alternative is tried at every
    position. On ASCII text the screen passes, `search` runs only the alternatives whose own
    (rarer) needles are there, and returns the leftmost match, at one position the earliest
    alternative's: the span and text the whole pattern's search gives. Its groups are the
    alternative's own, so use it where only the whole match is read. The other methods are
    the whole pattern's."""

    def __init__(self, pattern: re.Pattern[str]):
        super().__init__(pattern, scanned=False)  # too large to scan whole: its alternatives are
        self._parts = top_level_alternatives(pattern.pattern, pattern.flags)
        self._part_ids = frozenset(SCANS.register(part, pattern.flags) for part in self._parts)

    @cached_property  # compiled on the first search that needs them, not at import
    def alternatives(self) -> tuple[Screened, ...]:
        return tuple(Screened(re.compile(part, self.pattern.flags)) for part in self._parts)

    def ruled_out(self, text: str) -> bool:
        answer = SCANS.may_match_any(self._part_ids, text, text.isascii())
        return not answer if answer is not None else super().ruled_out(text)

    def search(self, text: str) -> re.Match[str] | None:
        ascii = text.isascii()
        answer = SCANS.may_match_any(self._part_ids, text, ascii)
        if answer is False:
            return None
        if answer is None:  # the words screen
            if super().ruled_out(text):
                return None
            if not ascii:  # no screen applies: the whole pattern, one pass
                return self.pattern.search(text)
        best = None
        for alternative in self.alternatives:
            if alternative.ruled_out(text):
                continue
            found = alternative.pattern.search(text)
            if found is not None and (best is None or found.start() < best.start()):
                best = found
        return best


def screened_alternatives(pattern: str, flags: int = 0) -> ScreenedAlternatives:
    """`re.compile(pattern, flags)` searched alternative by alternative (`ScreenedAlternatives`)."""
    return ScreenedAlternatives(re.compile(pattern, flags))


def search_tail(pattern: re.Pattern[str], text: str, longest: int) -> re.Match[str] | None:
    """`pattern.search(text)` for a pattern anchored at the end (`…\\s*$`, no MULTILINE) whose
    matches hold at most `longest` characters before that trailing space: only the tail is
    searched. A search from an offset still sees the characters before it (`\\b`, lookbehind)."""
    start = len(text.rstrip()) - longest
    return pattern.search(text, start) if start > 0 else pattern.search(text)
