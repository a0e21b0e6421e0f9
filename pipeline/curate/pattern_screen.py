"""Cheap work the checks share, so that a record costs a fraction of a millisecond: a field's
tokens computed once (several checks read the same field), and screens that rule out a long
pattern before it runs (every screen's words are looked for in a field in one pass:
`pipeline.curate.needle_index`).

A screen only ever says "cannot match". It holds, for each top-level alternative of its pattern,
the sets of words that alternative needs one of each (`pattern_needles`, read from the pattern
itself), and rules a text out when every alternative misses a whole set. It answers only on
ASCII text: under re.IGNORECASE a pattern's "s" also matches "ſ" and its "k" the Kelvin sign,
which a lower-cased substring test would miss, while on ASCII text a pattern's ASCII letter
matches exactly its two cases, which `str.lower` folds. Other text goes to the pattern itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property, lru_cache
from typing import Any

from pipeline.curate import needle_index
from pipeline.curate.pattern_needles import needles, requirements, shortest
from pipeline.text import tokenize


@lru_cache(maxsize=64)  # a record's fields, read by leakage, role confusion and answer type
def tokens(text: str) -> tuple[str, ...]:
    """`pipeline.text.tokenize`, computed once per text."""
    return tuple(tokenize(text))


class Screened:
    """A compiled pattern with its screen: `search`, `match`, `finditer` and `findall` give
    what the pattern's own give, skipping the pattern on ASCII text that lacks every needle."""

    def __init__(self, pattern: re.Pattern[str]):
        self.pattern = pattern
        self.needles = shortest(needles(pattern) or frozenset())
        folded = bool(pattern.flags & re.IGNORECASE)  # in ASCII text
        # non-ASCII needles are never in ASCII text: a requirement of those alone rules it out
        self._alternatives = tuple(
            tuple(
                needle_index.register(tuple(n for n in shortest(needles) if n.isascii()), folded)
                for needles in required
            )
            for required in requirements(pattern)
        )

    def ruled_out(self, text: str) -> bool:
        """Whether `text` cannot match: it is ASCII and every alternative lacks every word of
        one of its requirements."""
        if not self._alternatives or not text.isascii():
            return False
        found = needle_index.FOUND.get(text)
        if found is None:
            found = needle_index.found(text)
        for required in self._alternatives:
            for needle_ids in required:
                if needle_ids.isdisjoint(found):
                    break
            else:
                return False  # this alternative has a word of each requirement: it may match
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


def top_level_alternatives(pattern: str) -> list[str]:
    """`pattern` cut at each `|` outside groups and character classes: `"a|(b|c)|[|]"` gives
    `["a", "(b|c)", "[|]"]`."""
    if _INLINE_FLAGS.match(pattern):
        raise ValueError("a pattern with inline global flags cannot be cut into alternatives")
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

    @cached_property  # compiled on the first search that needs them, not at import
    def alternatives(self) -> tuple[Screened, ...]:
        flags = self.pattern.flags
        return tuple(
            Screened(re.compile(part, flags)) for part in top_level_alternatives(self.pattern.pattern)
        )

    def search(self, text: str) -> re.Match[str] | None:
        if self.ruled_out(text):
            return None
        if not text.isascii():  # no screen applies: the whole pattern, one pass
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
