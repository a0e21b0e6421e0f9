"""Repetition within one document, as Gopher (Rae et al. 2021, appendix A) measures it: repeated
lines and paragraphs (by count and by characters), the character share of the most frequent
n-gram, and the character share covered by n-grams that occur more than once.

The n-gram measures take a list of units: words for alphabetic text, single characters (with
Latin words kept whole) for Chinese; a unit's weight is its length in characters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HASH_BASE = np.uint64(1_000_003)


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


class NgramIndex:
    """A document's units as integer ids with their lengths, so that the n-gram measures for
    every n run as array operations (a 100,000-word document takes milliseconds, not seconds).
    An n-gram is keyed by a 64-bit polynomial hash of its ids; a collision between two distinct
    n-grams of one document has a probability near m^2 / 2^64 and only makes a measure larger."""

    def __init__(self, units: Sequence[str]) -> None:
        vocabulary: dict[str, int] = {}
        self.ids = np.fromiter(
            (vocabulary.setdefault(unit, len(vocabulary)) for unit in units), np.uint64, len(units)
        )
        self.lengths = np.fromiter((len(unit) for unit in units), np.int64, len(units))
        self.total = int(self.lengths.sum())

    def _grams(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(inverse, counts, start positions' character weights) of the n-grams in order."""
        count = len(self.ids) - n + 1
        keys = np.zeros(count, np.uint64)
        for k in range(n):  # wrapping multiplication: the hash is modulo 2^64
            keys = keys * _HASH_BASE + self.ids[k : k + count] + np.uint64(1)
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        window = np.concatenate(([0], np.cumsum(self.lengths)))
        weights = window[n : n + count] - window[:count]
        return inverse, counts, weights

    def top_char_fraction(self, n: int) -> float:
        if len(self.ids) < n or not self.total:
            return 0.0
        inverse, counts, weights = self._grams(n)
        most = int(counts.max())
        if most < 2:
            return 0.0
        # among equally frequent n-grams, the one with the most characters: ties never hide one
        return float(most * weights[counts[inverse] == most].max() / self.total)

    def duplicate_char_fraction(self, n: int) -> float:
        if len(self.ids) < n or not self.total:
            return 0.0
        inverse, counts, _ = self._grams(n)
        starts = (counts[inverse] > 1).astype(np.int64)
        # unit j is covered when some repeated n-gram starts in [j - n + 1, j]
        opened = np.concatenate((np.cumsum(starts), np.full(n - 1, starts.sum())))
        covered = opened - np.concatenate((np.zeros(n, np.int64), opened[:-n])) > 0
        return float(self.lengths[covered].sum() / self.total)


def top_ngram_char_fraction(units: Sequence[str], n: int) -> float:
    """Characters in all occurrences of the most frequent n-gram (the longest of equally frequent
    ones) over the characters of all units (0 when there are fewer than n units or none repeats)."""
    return NgramIndex(units).top_char_fraction(n)


def duplicate_ngram_char_fraction(units: Sequence[str], n: int) -> float:
    """Characters of the units covered by some n-gram that occurs more than once, over the
    characters of all units (overlapping occurrences count each unit once)."""
    return NgramIndex(units).duplicate_char_fraction(n)
