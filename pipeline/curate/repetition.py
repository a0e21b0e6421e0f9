"""Degenerate answers: a model caught in a loop writes the same sentence, or the same few words,
over and over ("use sunlight to make food. use sunlight to make food. …"). Gopher's rule for web
documents, the share of text inside n-grams that occur more than once, read on one answer.

A cheap gate first (few distinct tokens for the answer's length), so ordinary answers cost one
set of their tokens."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pipeline.curate.pattern_screen import tokens

MIN_TOKENS = 24  # shorter answers repeat a phrase or two for good reasons
GATE_DISTINCT = 0.4  # ordinary prose of this length has more distinct tokens than this share
# words (a CJK character is a token): long enough that sentences of one pattern with their own
# numbers or names in it ("Tide 3 arrives twelve hours after tide 2.") share no run of them
NGRAM = 8


@dataclass(frozen=True)
class Loop:
    share: float  # of the answer's tokens inside a repeated n-gram
    phrase: str  # the most repeated n-gram
    times: int


def repeated_share(text: str, threshold: float) -> Loop | None:
    """The loop, when more than `threshold` of `text`'s tokens sit inside NGRAM-grams that occur
    more than once; None otherwise (and for answers too short or too varied to be one)."""
    found = tokens(text)  # cached: the structure checks read the same answer's tokens
    if len(found) < MIN_TOKENS or len(set(found)) >= GATE_DISTINCT * len(found):
        return None
    words = [word.lower() for word in found]
    grams = [tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)]
    counts = Counter(grams)
    covered = bytearray(len(words))
    for start, gram in enumerate(grams):
        if counts[gram] > 1:
            covered[start : start + NGRAM] = b"\x01" * NGRAM
    share = sum(covered) / len(words)
    if share <= threshold:
        return None
    gram, times = counts.most_common(1)[0]
    joiner = "" if all(len(token) == 1 and not token.isascii() for token in gram) else " "
    return Loop(round(share, 3), joiner.join(gram), times)
