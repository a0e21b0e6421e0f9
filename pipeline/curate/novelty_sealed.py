"""Sealed postings of the novelty index: posting entries moved out of the growing per-key
lists into one array sorted by (posting key, entry code).

An entry's code is its text number plus the text's length << LENGTH_SHIFT, so within one
posting key the sorted entries run by text length. A query's first-match bound holds only
for lengths in an interval (a shared occurrence at query position i and text position j
needs |b| <= 2(|a|-i)/t - |a| and |b| >= (2j + t|a|)/(2-t)); on a large index most entries
of the lists a query touches lie outside it. Sorted by length, those are never read: the
compiled filter binary-searches the interval instead of testing every entry.

A query finds a key's entries through a hash table (open addressing, built in compiled
code at each seal): a binary search over millions of keys cost more than the entries read.

Lists stay appendable: texts indexed since the last seal live in per-key lists as before
and are read whole. Sealing merges them into the sorted array once they reach an eighth of
the index, so the unsealed share a query reads stays small, and the total merge work stays
O(n log n)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SealedPostings:
    keys: np.ndarray  # int64, every posting key once, ascending
    starts: np.ndarray  # int64, the entries of keys[k] are at starts[k]:starts[k + 1]
    codes: np.ndarray  # int64, text + length << LENGTH_SHIFT, ascending within a key
    buckets: np.ndarray  # uint64, the bucket mask of the entry's text
    table_keys: np.ndarray  # int64, a hash table from posting key to its index in `keys`
    table_slots: np.ndarray  # (-1: an empty slot; see novelty_kernels.hash_table)

    @classmethod
    def empty(cls) -> SealedPostings:
        none = np.zeros(0, dtype=np.int64)
        return cls(
            none,
            np.zeros(1, dtype=np.int64),
            none,
            np.zeros(0, dtype=np.uint64),
            np.full(2, -1, dtype=np.int64),
            np.zeros(2, dtype=np.int64),
        )

    def __len__(self) -> int:
        return len(self.codes)

    def merged(self, postings: dict[int, array[int]]) -> SealedPostings:
        """These entries and the lists `postings` (key -> interleaved code, bucket mask), in
        one sorted array."""
        if not postings:
            return self
        sizes = np.fromiter((len(posting) // 2 for posting in postings.values()), np.int64, len(postings))
        pairs = np.frombuffer(b"".join(postings.values()), dtype=np.uint64).reshape(-1, 2)
        keys = np.concatenate(
            (
                np.repeat(self.keys, np.diff(self.starts)),
                np.repeat(np.fromiter(postings.keys(), np.int64, len(postings)), sizes),
            )
        )
        codes = np.concatenate((self.codes, pairs[:, 0].view(np.int64)))
        buckets = np.concatenate((self.buckets, pairs[:, 1]))
        order = np.lexsort((codes, keys))
        keys = keys[order]
        boundaries = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        starts = np.concatenate(([0], boundaries, [len(keys)])).astype(np.int64)
        unique = keys[starts[:-1]]
        from pipeline.curate.novelty_kernels import hash_table  # numba: only past INDEX_FROM

        bits = max(1, (2 * len(unique) - 1).bit_length())  # at most half full
        return SealedPostings(unique, starts, codes[order], buckets[order], *hash_table(unique, bits))
