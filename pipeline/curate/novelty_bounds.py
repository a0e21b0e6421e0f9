"""Bounds the novelty index prunes with: each one only ever overestimates the ROUGE-L F1 two
texts can reach, so a text it rules out could not have exceeded the threshold.

A text's tokens are also summarised in 64 hash buckets (a byte histogram and a bit mask) that
the compiled filters in `novelty_kernels` compare without looking the text up."""

from __future__ import annotations

import math
from array import array

import numpy as np

# The bounds use other float operations than rouge-score's F1: prune only what is below the
# threshold by more than this, and let rouge-score decide everything closer.
SLACK = 1e-9
MAX_POSITION = 255  # later positions are filed as 255: a looser bound, never a wrong one
BUCKETS = 64  # token histogram buckets per text (one cache line)
BUCKET_MAX = 127
LENGTH_SHIFT = 32  # posting entry = text number + its length << 32 (novelty_kernels reads them)
TEXT_MASK = (1 << LENGTH_SHIFT) - 1
ENTRY_WORDS = 3  # a posting entry: that code, then the text's >= 1 and >= 2 bucket masks


def token_histogram(token_ids: np.ndarray) -> np.ndarray:
    """Counts of a text's tokens (non-negative ids) in 64 hash buckets, as bytes. A count
    above 127 does not fit the compiled byte arithmetic: then every bucket says 127, which
    bounds nothing (the histogram test passes such a text on)."""
    counts = np.bincount((token_ids * 0x9E3779B1 & 0xFFFFFFFF) >> 26, minlength=BUCKETS)
    if counts.max(initial=0) > BUCKET_MAX:
        return np.full(BUCKETS, BUCKET_MAX, dtype=np.uint8)
    return counts.astype(np.uint8)


def bucket_bits(token_ids: list[int]) -> tuple[int, int]:
    """Which of 64 hash buckets hold at least one and at least two of a text's tokens, as
    64-bit masks: they travel in every posting entry, so a bound on the overlap that is
    nearly the histogram's needs no lookup (see the kernels)."""
    once = twice = 0
    for token_id in token_ids:
        bit = 1 << ((token_id * 0x9E3779B1 & 0xFFFFFFFF) >> 26)
        twice |= once & bit
        once |= bit
    return once, twice


def query_buckets(token_ids: list[int]) -> tuple[np.ndarray | None, np.ndarray]:
    """A query's known tokens (non-negative ids) in the 64 buckets, in one pass over its few
    tokens (numpy's per-call costs were most of a query's): its byte histogram, or None where
    a bucket holds BUCKET_MAX or more (then the histogram bounds nothing), and its bucket
    masks for the posting entries' bound: the buckets holding at least 1, 2 and 3 of its
    tokens, then for each bucket holding q > 3 a pair (its bit, q - 3)."""
    counts = [0] * BUCKETS
    masks = [0, 0, 0]
    for token_id in token_ids:
        if token_id >= 0:
            bucket = (token_id * 0x9E3779B1 & 0xFFFFFFFF) >> 26
            count = counts[bucket] = counts[bucket] + 1
            if count <= 3:
                masks[count - 1] |= 1 << bucket
    most = max(counts)
    histogram = np.frombuffer(bytes(counts), dtype=np.uint8) if most < BUCKET_MAX else None
    if most > 3:
        for bucket, count in enumerate(counts):
            if count > 3:
                masks += (1 << bucket, count - 3)
    return histogram, np.array(masks, dtype=np.uint64)


def last_useful_position(size: int, i: int, relaxed: float) -> int:
    """The latest position j (in its own text's order) at which a text can still have its
    first shared occurrence with a query whose first shared occurrence is at position i:
    a first match at (i, j) bounds the overlap by 1 + min(|a|-i-1, |b|-j-1), and that must
    reach relaxed·(|a|+|b|)/2 for some length |b|. Negative: position i cannot be first."""
    if relaxed <= 0:
        return MAX_POSITION
    longest = 2 * (size - i) / relaxed - size  # the longest |b| that |a|-i still allows
    return math.floor(((2 - relaxed) * longest - relaxed * size) / 2 + 1e-9)


def min_overlap(length: int, threshold: float) -> int:
    """The least overlap any partner of a text of this length needs to exceed the threshold."""
    relaxed = threshold - SLACK
    if relaxed <= 0:
        return 1
    return max(1, math.ceil(relaxed * length / (2 - relaxed)))


def overlap_candidates(
    chunks: list[tuple[int, int, array[int]]],
    token_ids: list[int],
    relaxed: float,
    starts: array[int],
    flat: array[int],
) -> list[tuple[float, int]]:
    """(overlap bound, text) for the texts in the postings `chunks` ((query position i, text
    position j, postings)) that pass the first-match bound and the exact overlap bound against
    `relaxed` (the threshold less SLACK); texts are read from `flat` at `starts`. The novelty
    index's compiled filters, as plain loops: for the many queries that touch only a few
    postings, cheaper than calling into compiled code."""
    size = len(token_ids)
    counts: dict[int, int] = {}
    for token_id in token_ids:
        if token_id >= 0:
            counts[token_id] = counts.get(token_id, 0) + 1
    seen: set[int] = set()
    scored = []
    for i, j, posting in chunks:
        for code in posting[::ENTRY_WORDS]:  # entries are (code, bucket masks)
            doc, length = code & TEXT_MASK, code >> LENGTH_SHIFT
            if doc in seen or 2 * (1 + min(size - i - 1, length - j - 1)) < relaxed * (size + length):
                continue
            seen.add(doc)
            remaining, overlap = dict(counts), 0
            for token_id in flat[starts[doc] : starts[doc + 1]]:
                left = remaining.get(token_id, 0)
                if left:
                    remaining[token_id] = left - 1
                    overlap += 1
            bound = 2.0 * overlap / (size + length)
            if bound >= relaxed:
                scored.append((bound, doc))
    return scored
