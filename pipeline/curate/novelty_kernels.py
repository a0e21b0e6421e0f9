"""Compiled inner loops of the novelty index (numba): the candidate filters run over every
posting a query touches, and in a growing index those are many; a loop per entry in Python
or a sort in numpy costs 20-100 ns an entry, these a few.

Scratch arrays (one slot per indexed text, one per token) are owned by the caller and left
zeroed after every call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

# a posting entry is text number + its length << LENGTH_SHIFT, as the novelty index files them
from pipeline.curate.novelty_bounds import LENGTH_SHIFT, TEXT_MASK


def _kernel(function: Callable[..., Any]) -> Any:
    """Compiled with numba's on-disk cache (next to this file, else under the user's cache
    directory, or NUMBA_CACHE_DIR): later runs load the machine code instead of compiling.
    Where no cache directory is writable (a read-only install without a home directory),
    numba refuses `cache=True` outright; then the kernels compile in every process that
    needs them (a few seconds, once per run) rather than fail."""
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:
        return njit(nogil=True)(function)


@_kernel
def popcount(x: np.uint64) -> np.int64:  # pragma: no cover - compiled
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@_kernel
def first_match_may_hold(
    code: int, buckets: int, i: int, j: int, size: int, relaxed: float, query_masks: np.ndarray
) -> bool:  # pragma: no cover - compiled
    """A shared prefix occurrence at query position i and text position j could be the
    first of a pair that passes: 1 + min(|a|-i-1, |b|-j-1) reaches the overlap it needs,
    and so does the bucket bound (the query's tokens in the buckets the text's tokens fill).
    The entry carries its text's length and buckets: no lookup."""
    n = code >> LENGTH_SHIFT
    need = relaxed * (size + n)
    if 2 * (1 + min(size - i - 1, n - j - 1)) < need:
        return False
    if query_masks.shape[0]:
        shared = (
            popcount(buckets & query_masks[0])
            + popcount(buckets & query_masks[1])
            + popcount(buckets & query_masks[2])
        )
        if 2 * shared < need:
            return False
    return True


@_kernel
def length_interval(i: int, j: int, size: int, relaxed: float) -> tuple[int, int]:  # pragma: no cover
    """Text lengths (a superset, one either side) for which a first shared occurrence at
    (i, j) can pass: |b| <= 2(|a|-i)/t - |a| and |b| >= (2j + t|a|)/(2-t)."""
    if relaxed <= 0:
        return 0, 1 << 30
    longest = int(2 * (size - i) / relaxed - size) + 1
    shortest = int((2 * j + relaxed * size) / (2 - relaxed)) - 1
    return max(shortest, 0), min(longest, 1 << 30)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@_kernel
def table_slot(key: np.int64, bits: int) -> np.int64:  # pragma: no cover - compiled
    """Where a posting key's probe sequence starts in a table of 2**bits slots."""
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(64 - bits))


@_kernel
def hash_table(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Open addressing (linear probing) from each posting key to its index in `keys`;
    empty slots hold the key -1 (keys are never negative). 2**bits must exceed len(keys)."""
    mask = (1 << bits) - 1
    table_keys = np.full(1 << bits, -1, dtype=np.int64)
    table_slots = np.zeros(1 << bits, dtype=np.int64)
    for index in range(keys.shape[0]):
        slot = table_slot(keys[index], bits)
        while table_keys[slot] != -1:
            slot = (slot + 1) & mask
        table_keys[slot] = keys[index]
        table_slots[slot] = index
    return table_keys, table_slots


@_kernel
def first_match_candidates(
    codes: np.ndarray,
    chunk_ends: np.ndarray,
    query_positions: np.ndarray,
    text_positions: np.ndarray,
    table_keys: np.ndarray,
    table_slots: np.ndarray,
    sealed_starts: np.ndarray,
    sealed_codes: np.ndarray,
    sealed_buckets: np.ndarray,
    probes: np.ndarray,
    size: int,
    relaxed: float,
    query_masks: np.ndarray,
    seen: np.ndarray,
    out: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Texts with a shared prefix occurrence whose first-match bound may hold. Unsealed
    lists: `codes` holds (code, bucket mask) pairs, chunk c ending at chunk_ends[c], read at
    query position query_positions[c] and text position text_positions[c]. Sealed entries:
    `probes` rows (posting key, i, j), a key found through the hash table (`hash_table`);
    within a key only the entries whose text length lies in the interval are read (they
    are sorted by length). Writes each text once to `out`
    and returns how many; `seen` is left zeroed."""
    found = 0
    start = 0
    for chunk in range(chunk_ends.shape[0]):
        i = query_positions[chunk]
        j = text_positions[chunk]
        for k in range(start, chunk_ends[chunk], 2):
            doc = codes[k] & TEXT_MASK
            if first_match_may_hold(codes[k], np.uint64(codes[k + 1]), i, j, size, relaxed, query_masks):
                if not seen[doc]:
                    seen[doc] = 1
                    out[found] = doc
                    found += 1
        start = chunk_ends[chunk]
    mask = table_keys.shape[0] - 1
    bits = 0
    while (1 << bits) < table_keys.shape[0]:
        bits += 1
    for probe in range(probes.shape[0]):
        key, i, j = probes[probe, 0], probes[probe, 1], probes[probe, 2]
        slot = table_slot(key, bits)
        while table_keys[slot] != key and table_keys[slot] != -1:
            slot = (slot + 1) & mask
        if table_keys[slot] == -1:
            continue
        index = table_slots[slot]
        begin, end = sealed_starts[index], sealed_starts[index + 1]
        shortest, longest = length_interval(i, j, size, relaxed)
        if shortest > longest:
            continue
        lengths = sealed_codes[begin:end]
        first = begin + np.searchsorted(lengths, np.int64(shortest) << LENGTH_SHIFT)
        last = begin + np.searchsorted(lengths, np.int64(longest + 1) << LENGTH_SHIFT)
        for k in range(first, last):
            doc = sealed_codes[k] & TEXT_MASK
            if first_match_may_hold(sealed_codes[k], sealed_buckets[k], i, j, size, relaxed, query_masks):
                if not seen[doc]:
                    seen[doc] = 1
                    out[found] = doc
                    found += 1
    for t in range(found):
        seen[out[t]] = 0
    return found


_HIGH = np.uint64(0x8080808080808080)
_BYTE_LANES = np.uint64(0x00FF00FF00FF00FF)
_SHORT_LANES = np.uint64(0x0000FFFF0000FFFF)
_LOW_HALF = np.uint64(0xFFFFFFFF)
_ONES = np.uint64(0xFF)


@_kernel
def histogram_survivors(
    docs: np.ndarray,
    count: int,
    histograms: np.ndarray,
    query_histogram: np.ndarray,
    lengths: np.ndarray,
    size: int,
    relaxed: float,
    out: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Tokens hashed into 64 buckets: the overlap is at most the sum over buckets of the
    smaller count. The 64 byte counts (each <= 127) of a text are 8 words, compared eight
    bytes at a time: (a | 0x80) - q keeps each byte's high bit exactly when a >= q."""
    kept = 0
    for t in range(count):
        doc = docs[t]
        shared = np.uint64(0)
        for word in range(8):
            a = histograms[doc, word]
            q = query_histogram[word]
            a_wins = (((a | _HIGH) - q) & _HIGH) >> np.uint64(7)  # 1 in bytes where a >= q
            mask = a_wins * _ONES
            smaller = (q & mask) | (a & ~mask)
            lanes = (smaller & _BYTE_LANES) + ((smaller >> np.uint64(8)) & _BYTE_LANES)
            lanes = (lanes & _SHORT_LANES) + ((lanes >> np.uint64(16)) & _SHORT_LANES)
            shared += (lanes & _LOW_HALF) + (lanes >> np.uint64(32))
        if 2.0 * shared >= relaxed * (size + lengths[doc]):
            out[kept] = doc
            kept += 1
    return kept


@_kernel
def overlap_survivors(
    docs: np.ndarray,
    count: int,
    budget: np.ndarray,
    starts: np.ndarray,
    flat: np.ndarray,
    size: int,
    relaxed: float,
    out_docs: np.ndarray,
    out_bounds: np.ndarray,
    undo: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """The exact multiset overlap o of each candidate with the query (whose token counts are
    in `budget`, left as found; `undo` has room for |a| tokens); keeps those whose bound
    2·o/(|a|+|b|) reaches the threshold."""
    kept = 0
    for t in range(count):
        doc = docs[t]
        begin, end = starts[doc], starts[doc + 1]
        overlap = 0
        for k in range(begin, end):
            token = flat[k]
            if budget[token] > 0:
                budget[token] -= 1
                undo[overlap] = token
                overlap += 1
        for u in range(overlap):
            budget[undo[u]] += 1
        bound = 2.0 * overlap / (size + end - begin)
        if bound >= relaxed:
            out_docs[kept] = doc
            out_bounds[kept] = bound
            kept += 1
    return kept


def empty_scratch(size: int) -> dict[str, np.ndarray]:
    """`seen`: one flag per indexed text; `found`: room for every indexed text once."""
    return {"seen": np.zeros(size, dtype=np.uint8), "found": np.empty(size, dtype=np.int64)}


def warm_up() -> None:
    """Load (or, on a first run, compile) every kernel now rather than on a first query."""
    docs, none = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    lengths, flat = np.ones(1, dtype=np.uint32), np.zeros(1, dtype=np.uint32)
    first_match_candidates(
        np.zeros(2, dtype=np.int64),
        np.full(1, 2, dtype=np.int64),
        none,
        none,
        *hash_table(none, 1),
        np.zeros(2, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.zeros(1, dtype=np.uint64),
        np.zeros((1, 3), dtype=np.int64),
        1,
        0.5,
        np.zeros(3, dtype=np.uint64),
        np.zeros(1, dtype=np.uint8),
        docs,
    )
    histogram_survivors(
        docs, 1, np.zeros((1, 8), dtype=np.uint64), np.zeros(8, dtype=np.uint64), lengths, 1, 0.5, docs
    )
    overlap_survivors(
        docs,
        1,
        np.zeros(1, dtype=np.int64),
        np.array([0, 1], dtype=np.int64),
        flat,
        1,
        0.5,
        docs,
        np.zeros(1),
        np.zeros(1, dtype=np.int64),
    )
