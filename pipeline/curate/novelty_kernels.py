"""Compiled inner loops of the novelty index (numba): the candidate filters run over every
posting a query touches, and in a growing index those are many; a loop per entry in Python
or a sort in numpy costs 20-100 ns an entry, these a few.

Scratch arrays (one slot per indexed text, one per token) are owned by the caller and left
zeroed after every call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic
from numba.np.numpy_support import carray

# a posting entry is text number + its length << LENGTH_SHIFT, as the novelty index files them
from pipeline.curate.novelty_bounds import ENTRY_WORDS, LENGTH_SHIFT, TEXT_MASK


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


def _pointer_to_words(typingctx: Any, address: Any) -> Any:  # pragma: no cover - compiled
    """The int64 words at a memory address (a posting's `array.buffer_info()[0]`), so the
    kernels read the postings where they lie instead of a joined copy of them (the copy cost
    about a quarter of a large query)."""
    pointer = types.CPointer(types.int64)  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(types.int64), codegen


_words_at: Any = intrinsic(_pointer_to_words)


@_kernel
def popcount(x: np.uint64) -> np.int64:  # pragma: no cover - compiled
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@_kernel
def passable_lengths(size: int, i: int, j: int, relaxed: float) -> tuple[int, int]:  # pragma: no cover
    """Text lengths n a first shared occurrence at (i, j) leaves room for: 2·(1 + min(|a|-i-1,
    n-j-1)) >= relaxed·(|a|+n) needs n >= (relaxed·|a| + 2j) / (2 - relaxed) and n <=
    2(|a|-i)/relaxed - |a|. One wider on each side for float rounding: the entry test that
    follows is the exact one."""
    if relaxed <= 0.0:
        return 0, (1 << 30)
    shortest = int(np.floor((relaxed * size + 2 * j) / (2.0 - relaxed))) - 1
    longest = int(np.floor(2.0 * (size - i) / relaxed - size)) + 1
    return max(shortest, 0), min(max(longest, -1), 1 << 30)


@_kernel
def first_entry_from(codes: np.ndarray, code: int) -> int:  # pragma: no cover - compiled
    """The word offset of the first entry whose code is >= `code` in a posting whose entries
    are ordered by code (length, then text), or the posting's end."""
    low, high = 0, codes.shape[0] // ENTRY_WORDS
    while low < high:
        middle = (low + high) // 2
        if codes[middle * ENTRY_WORDS] < code:
            low = middle + 1
        else:
            high = middle
    return low * ENTRY_WORDS


@_kernel
def first_match_candidates(
    chunks: np.ndarray,
    size: int,
    relaxed: float,
    query_masks: np.ndarray,
    seen: np.ndarray,
    out: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Texts with a shared prefix occurrence, at query position i and text position j, that
    could be their first: 1 + min(|a|-i-1, |b|-j-1) reaches the overlap they need, and so
    does the bucket bound. Entries are (text + length << 32, mask of the buckets holding >= 1
    of the text's tokens, mask of those holding >= 2) triples, ordered by code, so only the
    lengths `passable_lengths` allows are read; `chunks` has a row (i, j, address, words) for
    each posting, the address of its live buffer (the caller keeps the postings unchanged
    during the call). The query's masks (`query_buckets`) hold its
    buckets with >= 1, 2 and 3 tokens, then (bit, q - 3) for each bucket with q > 3: a
    bucket's shared tokens min(q, d) are at most [q >= 1][d >= 1] + [q >= 2][d >= 2] +
    [q >= 3][d >= 2] + (q - 3)⁺[d >= 2].
    Writes the texts to `out` (one slot per entry) and returns how many; `seen` is left
    zeroed."""
    found = 0
    for chunk in range(chunks.shape[0]):
        i = chunks[chunk, 0]
        j = chunks[chunk, 1]
        codes = carray(_words_at(chunks[chunk, 2]), chunks[chunk, 3])
        shortest, longest = passable_lengths(size, i, j, relaxed)
        for k in range(first_entry_from(codes, shortest << LENGTH_SHIFT), codes.shape[0], ENTRY_WORDS):
            doc = codes[k] & TEXT_MASK  # entries carry their text's length and buckets: the
            n = codes[k] >> LENGTH_SHIFT  # tests first, the scattered `seen` lookup after
            if n > longest:
                break
            need = relaxed * (size + n)
            if 2 * (1 + min(size - i - 1, n - j - 1)) < need:
                continue
            once = np.uint64(codes[k + 1])
            twice = np.uint64(codes[k + 2])
            shared = (
                popcount(once & query_masks[0])
                + popcount(twice & query_masks[1])
                + popcount(twice & query_masks[2])
            )
            for extra in range(3, query_masks.shape[0], 2):
                if twice & query_masks[extra]:
                    shared += np.int64(query_masks[extra + 1])
            if 2 * shared < need:
                continue
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
    query: np.ndarray,
    budget: np.ndarray,
    starts: np.ndarray,
    flat: np.ndarray,
    size: int,
    relaxed: float,
    out_docs: np.ndarray,
    out_bounds: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """The exact multiset overlap o of each candidate with the query's known tokens `query`
    (counted into `budget`, one slot per token, zeroed again before returning); keeps those
    whose bound 2·o/(|a|+|b|) reaches the threshold."""
    for token in query:
        budget[token] += 1
    undo = np.empty(size, dtype=np.int64)
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
    for token in query:
        budget[token] = 0
    return kept


def empty_scratch(size: int) -> dict[str, np.ndarray]:
    """`seen`: one flag per indexed text."""
    return {"seen": np.zeros(size, dtype=np.uint8)}


def warm_up() -> None:
    """Load (or, on a first run, compile) every kernel now rather than on a first query."""
    docs, none = np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64)
    lengths, flat = np.ones(1, dtype=np.uint32), np.zeros(1, dtype=np.uint32)
    entry = np.zeros(ENTRY_WORDS, dtype=np.int64)
    first_match_candidates(
        np.array([[0, 0, entry.ctypes.data, ENTRY_WORDS]], dtype=np.int64),
        1,
        0.5,
        np.zeros(5, dtype=np.uint64),
        np.zeros(1, dtype=np.uint8),
        docs,
    )
    histogram_survivors(
        docs, 1, np.zeros((1, 8), dtype=np.uint64), np.zeros(8, dtype=np.uint64), lengths, 1, 0.5, docs
    )
    overlap_survivors(
        docs,
        1,
        none,
        np.zeros(1, dtype=np.int64),
        np.array([0, 1], dtype=np.int64),
        flat,
        1,
        0.5,
        docs,
        np.zeros(1),
    )
