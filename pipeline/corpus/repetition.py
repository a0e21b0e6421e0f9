"""Repetition within one document, as Gopher (Rae et al. 2021, appendix A) measures it: repeated
lines and paragraphs (by count and by characters), the character share of the most frequent
n-gram, and the character share covered by n-grams that occur more than once.

The n-gram measures take a list of units: words for alphabetic text, single characters (with
Latin words kept whole) for Chinese; a unit's weight is its length in characters."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True, slots=True)
class Duplicates:
    """Share of items (lines or paragraphs) that repeat an earlier one, and their share of characters."""

    fraction: float
    char_fraction: float


def lines_of(text: str) -> list[str]:
    """The non-blank lines, stripped."""
    return [stripped for line in text.split("\n") if (stripped := line.strip())]


def paragraphs_of(text: str) -> list[str]:
    """Blocks separated by blank lines, stripped, blank ones left out."""
    return [stripped for block in _PARAGRAPH_BREAK.split(text) if (stripped := block.strip())]


def duplicates(items: Sequence[str]) -> Duplicates:
    """Items equal to an earlier item: their share by count and by characters."""
    if not items:
        return Duplicates(0.0, 0.0)
    seen: set[str] = set()
    repeated = repeated_chars = total_chars = 0
    for item in items:
        total_chars += len(item)
        if item in seen:
            repeated += 1
            repeated_chars += len(item)
        else:
            seen.add(item)
    return Duplicates(repeated / len(items), repeated_chars / total_chars if total_chars else 0.0)


def top_ngram_char_fraction(units: Sequence[str], n: int) -> float:
    """Characters in all occurrences of the most frequent n-gram over the characters of all units
    (0 when there are fewer than n units or no n-gram repeats)."""
    if len(units) < n:
        return 0.0
    counts = Counter(tuple(units[i : i + n]) for i in range(len(units) - n + 1))
    gram, count = counts.most_common(1)[0]
    if count < 2:
        return 0.0
    total = sum(len(unit) for unit in units)
    return count * sum(len(unit) for unit in gram) / total if total else 0.0


def duplicate_ngram_char_fraction(units: Sequence[str], n: int) -> float:
    """Characters of the units covered by some n-gram that occurs more than once, over the
    characters of all units (overlapping occurrences count each unit once)."""
    if len(units) < n:
        return 0.0
    grams = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
    counts = Counter(grams)
    covered = bytearray(len(units))
    for start, gram in enumerate(grams):
        if counts[gram] > 1:
            covered[start : start + n] = b"\x01" * n
    total = sum(len(unit) for unit in units)
    repeated = sum(len(unit) for unit, flag in zip(units, covered, strict=True) if flag)
    return repeated / total if total else 0.0
