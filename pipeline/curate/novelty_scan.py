"""The novelty rule's filter for a small index: every kept text's token counts in 512 hash
buckets, scanned whole with a handful of array operations per query.

The multiset overlap o of a query a and a text d is at most Σ_b min(a_b, d_b) over hash
buckets b (tokens in one bucket can at best all match), and F1 = 2·LCS/(|a|+|d|) <=
2·o/(|a|+|d|): a text whose bucket bound stays below the threshold cannot exceed it. The
counts are stored bucket-major (bucket b of every text contiguous), so a query reads only
the rows of its own buckets — about as many rows as it has distinct tokens — and takes the
minimum and the sum down the columns.

The cost is a pass over a few bytes per kept text, whatever the words: common words ("i",
"have", "doctor"; 我, 的), which make an inverted index's postings long, cost nothing extra,
and with 512 buckets a text shares few buckets with a query by chance, so about one text a
query is left to check exactly. The pass grows with the index, so past `novelty.INDEX_FROM`
texts the prefix-filtered inverted index takes over.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np

BUCKETS = 512
_BUCKET_SHIFT = 23  # bucket = 32-bit multiplicative hash >> 23: 9 bits
_MOST = 255  # counts are bytes: a count this large stands for "at least this many"


def bucket_counts(token_ids: Sequence[int]) -> dict[int, int]:
    """How many of the (known, non-negative) tokens fall in each hash bucket."""
    counts: dict[int, int] = {}
    for token_id in token_ids:
        if token_id >= 0:
            bucket = (token_id * 0x9E3779B1 & 0xFFFFFFFF) >> _BUCKET_SHIFT
            counts[bucket] = counts.get(bucket, 0) + 1
    return counts


class Signatures:
    """Every indexed text's bucket counts (capped at 255) and length, by text number; columns
    are grown by doubling. `relaxed` is the threshold less the novelty index's slack."""

    def __init__(self, relaxed: float) -> None:
        self.relaxed = relaxed
        self.counts = np.zeros((BUCKETS, 1024), dtype=np.uint8)
        self.half_scaled_lengths = np.zeros(1024, dtype=np.float64)  # relaxed · length / 2
        self.size = 0

    def append(self, token_ids: Sequence[int]) -> None:
        if self.size == self.counts.shape[1]:
            self.counts = np.concatenate([self.counts, np.zeros_like(self.counts)], axis=1)
            grown = np.zeros_like(self.half_scaled_lengths)
            self.half_scaled_lengths = np.concatenate([self.half_scaled_lengths, grown])
        counts = bucket_counts(token_ids)
        if counts:
            self.counts[list(counts), self.size] = np.minimum(list(counts.values()), _MOST)
        self.half_scaled_lengths[self.size] = 0.5 * (self.relaxed * len(token_ids))
        self.size += 1

    def candidates(
        self, token_ids: list[int], starts: array[int], flat: array[int]
    ) -> list[tuple[float, int]]:
        """(overlap bound, text) for every text whose bucket bound and then exact multiset
        overlap bound reach the relaxed threshold."""
        counts = bucket_counts(token_ids)
        if not counts or not self.size:
            return []
        size, texts = len(token_ids), self.size
        # a query bucket with 255 or more tokens: count it as shared by every text
        sure = sum(count for count in counts.values() if count >= _MOST)
        buckets = [bucket for bucket, count in counts.items() if count < _MOST]
        rows = self.counts[buckets, :texts]  # a copy: the query's buckets of every text
        np.minimum(rows, np.array([counts[bucket] for bucket in buckets], dtype=np.uint8)[:, None], out=rows)
        # the sum is at most the query's length: a short query adds in bytes, with no casting
        shared = np.add.reduce(rows, axis=0, dtype=np.uint8 if size <= _MOST else np.uint32)
        # shared + sure >= relaxed·(|a| + |d|)/2, with relaxed·|d|/2 kept per text (halving is
        # exact in binary floating point, so this is the bound 2·(shared + sure) >= … exactly)
        need = np.add(self.half_scaled_lengths[:texts], 0.5 * self.relaxed * size - sure)
        docs = np.flatnonzero(shared >= need).tolist()
        if not docs:
            return []
        query_counts: dict[int, int] = {}
        for token_id in token_ids:
            if token_id >= 0:
                query_counts[token_id] = query_counts.get(token_id, 0) + 1
        scored = []
        for doc in docs:
            remaining, overlap = dict(query_counts), 0
            for token_id in flat[starts[doc] : starts[doc + 1]]:
                left = remaining.get(token_id)
                if left:
                    remaining[token_id] = left - 1
                    overlap += 1
            bound = 2.0 * overlap / (size + starts[doc + 1] - starts[doc])
            if bound >= self.relaxed:
                scored.append((bound, doc))
        return scored
