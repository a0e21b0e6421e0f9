"""The ROUGE-L novelty rule, exact and not quadratic.

A record is kept only if its ROUGE-L F1 against every text kept so far is <= the threshold,
over CJK-aware tokens. Every score is the one rouge-score's `_score_lcs` gives: the LCS
length (computed bit-parallel, the same integer as its DP table) put through rouge-score's
own `scoring.fmeasure` with its precision and recall expressions, so its float rounding
decides borderline cases such as 0.7000000000000001 > 0.7.

Finding the texts that could exceed the threshold without comparing against all of them:
F1 = 2·LCS/(|a|+|b|) <= 2·o/(|a|+|b|), where o is the multiset overlap of the two token
lists. F1 > t therefore needs o >= α = t·(|a|+|b|)/2, and since |b| >= t·|a|/(2-t) for any
pair that can pass, α >= t·|a|/(2-t) =: α(|a|). Prefix filtering (set-similarity joins):
order token occurrences globally, rarest first; two texts that share at least α occurrences
share one among the first |x| - α(|x|) + 1 occurrences of each, and the first one they
share, at position i of the query's order and j of the other's, bounds the overlap by
1 + min(|a|-i-1, |b|-j-1). So each text is indexed by its prefix, filed by token occurrence
and position j, and a query reads only the (occurrence, j) lists where a first shared
occurrence could still leave enough overlap. The texts found pass, in compiled loops, a
64-bucket token histogram bound and the exact overlap bound; the few left are scored.
Nothing the exhaustive rule would drop is missed.

That inverted index pays once the index is large. Below `INDEX_FROM` kept texts there is none:
each query scans every kept text's token counts in 512 hash buckets (`novelty_scan`), a bound
whose cost does not grow with how common the words are — real questions, where "i", "have"
and "doctor" (我, 的) are in most texts, make postings long but cost a scan nothing extra —
and which needs neither numba nor its compiled kernels (half a second to load). At
`INDEX_FROM` the texts kept so far are indexed and the compiled filters take over.

The global order must stay fixed while texts are indexed under it, yet rarity changes as the
index grows; the order is a snapshot of document frequencies, renewed (the prefixes re-indexed)
whenever the index has doubled since the last snapshot, and past 65,536 texts only when it has
grown sixteenfold: rarity measured on that many texts hardly moves, and a renewal re-files
every text (about 7 s at 262,144 texts; a million-record run no longer pays it).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np

from pipeline.curate.novelty_bounds import (
    BUCKETS,
    ENTRY_WORDS,
    MAX_POSITION,
    SLACK,
    last_useful_position,
    min_overlap,
    overlap_candidates,
    query_buckets,
    token_histogram,
)
from pipeline.curate.novelty_postings import Ordered, Postings
from pipeline.curate.novelty_scan import Signatures
from pipeline.curate.rouge import fmeasure, lcs_length

_MIN_SNAPSHOT = 256
_SETTLED_SNAPSHOT = 65_536  # past this many texts word rarity hardly moves: renew less often
_SETTLED_GROWTH = 16  # once settled, a renewal only when the index has grown this many times
_COMPILED_FROM = 24  # postings entries a query reads before the compiled filters pay
INDEX_FROM = 16_384  # kept texts before the inverted index pays (below: bucket-count scans)


@dataclass(frozen=True)
class NearMatch:
    partner_id: str
    score: float


class NoveltyIndex:
    def __init__(self, threshold: float = 0.7):
        self.threshold = threshold
        self._vocab: dict[str, int] = {}
        self._df = array("I")
        self._rank = array("q")  # token id -> rank in the snapshot order (0 = rarest)
        self._flat = array("I")  # every text's token ids, concatenated
        self._starts = array("Q", [0])
        self._lengths = array("I")
        self._ids: list[str] = []
        self._postings = Postings()
        self._snapshot_docs = 0
        self._plans: dict[int, list[tuple[int, int]]] = {}
        self._queried: tuple[list[str], list[int], Ordered] | None = None
        self._work: dict[str, np.ndarray] | None = None
        self._budget: np.ndarray | None = None
        self._histograms = np.zeros((1024, BUCKETS), dtype=np.uint8)
        # bucket-count scans until the inverted index runs, then None
        self._signatures: Signatures | None = Signatures(threshold - SLACK)

    def __len__(self) -> int:
        return len(self._ids)

    def _ordered(self, token_ids: list[int]) -> Ordered:
        """(order key, occurrence, token id) sorted: the global order of token occurrences.
        Tokens unseen at the snapshot count as rarer than all others, in a fixed order, and
        a query's tokens that no indexed text has (negative ids) sort first of all."""
        rank, ranked = self._rank, len(self._rank)
        seen: dict[int, int] = {}
        keyed = []
        for token_id in token_ids:
            if token_id < 0:
                key = -(1 << 62) + token_id
            else:
                key = rank[token_id] if token_id < ranked else -1 - token_id
            occurrence = seen.get(token_id, 0)
            seen[token_id] = occurrence + 1
            keyed.append((key, occurrence, token_id))
        keyed.sort()
        return keyed

    def _prefix_size(self, size: int) -> int:
        return max(1, size - min_overlap(size, self.threshold) + 1)

    def _query_plan(self, size: int) -> list[tuple[int, int]]:
        """For a query of `size` tokens: each prefix position i that can hold a first shared
        occurrence, with the last text position j it can meet (computed once per size)."""
        plan = self._plans.get(size)
        if plan is None:
            plan = []
            for i in range(self._prefix_size(size)):
                last = min(last_useful_position(size, i, self.threshold - SLACK), MAX_POSITION)
                if last < 0:
                    break  # later query positions allow even less
                plan.append((i, last))
            self._plans[size] = plan
        return plan

    def _post(self, doc: int, token_ids: list[int], ordered: Ordered | None = None) -> None:
        if ordered is None:
            ordered = self._ordered(token_ids)
        self._postings.post(doc, token_ids, ordered[: self._prefix_size(len(ordered))])

    def tokens_of(self, doc: int) -> list[int]:
        return self._flat[self._starts[doc] : self._starts[doc + 1]].tolist()

    def add(self, doc_id: str, tokens: list[str]) -> None:
        # a text is usually added right after its own query: its ids and order are known
        queried, self._queried = self._queried, None
        if queried is not None and queried[0] == tokens:
            token_ids, ordered = queried[1], queried[2]
        else:
            token_ids, ordered = self._token_ids(tokens), None
        doc = len(self._ids)
        self._ids.append(doc_id)
        self._flat.extend(token_ids)
        self._starts.append(len(self._flat))
        self._lengths.append(len(token_ids))
        if self._signatures is not None:  # word rarity is counted when the inverted index starts
            self._signatures.append(token_ids)
            if len(self._ids) >= INDEX_FROM:
                self._start_inverted_index()
            return
        self._count_documents(token_ids)
        self._index_text(doc, token_ids, ordered)
        growth = 2 if self._snapshot_docs < _SETTLED_SNAPSHOT else _SETTLED_GROWTH
        if len(self._ids) >= max(_MIN_SNAPSHOT, growth * self._snapshot_docs):
            self._renew_order()

    def _index_text(self, doc: int, token_ids: list[int], ordered: Ordered | None) -> None:
        self._store_histogram(doc, token_ids)
        if token_ids:
            self._post(doc, token_ids, ordered)

    def _token_ids(self, tokens: list[str]) -> list[int]:
        """The tokens' ids, new tokens given the next ones."""
        token_ids = []
        for token in tokens:
            token_id = self._vocab.get(token)
            if token_id is None:
                token_id = self._vocab[token] = len(self._vocab)
                self._df.append(0)
            token_ids.append(token_id)
        return token_ids

    def _store_histogram(self, doc: int, token_ids: list[int]) -> None:
        if doc >= len(self._histograms):
            grown = np.zeros((2 * len(self._histograms), BUCKETS), dtype=np.uint8)
            grown[:doc] = self._histograms[:doc]
            self._histograms = grown
        self._histograms[doc] = token_histogram(np.array(token_ids, dtype=np.int64))

    def _start_inverted_index(self) -> None:
        """From signature scans (whose cost grows with every kept text) to the prefix-filtered
        inverted index: every text so far gets its histogram, then (with a first snapshot of
        word rarity) its postings."""
        self._signatures = None
        for doc in range(len(self._ids)):
            token_ids = self.tokens_of(doc)
            self._count_documents(token_ids)
            self._store_histogram(doc, token_ids)
        self._renew_order()

    def _count_documents(self, token_ids: list[int]) -> None:
        for token_id in set(token_ids):
            self._df[token_id] += 1

    def _renew_order(self) -> None:
        order = sorted(range(len(self._df)), key=lambda token_id: (self._df[token_id], token_id))
        rank = array("q", bytes(8 * len(order)))
        for position, token_id in enumerate(order):
            rank[token_id] = position
        self._rank = rank
        self._postings = Postings()
        for doc in range(len(self._ids)):
            token_ids = self.tokens_of(doc)
            if token_ids:
                self._post(doc, token_ids)
        self._snapshot_docs = len(self._ids)

    def find_near(self, tokens: list[str]) -> NearMatch | None:
        """A kept text whose ROUGE-L F1 with `tokens` exceeds the threshold, or None when the
        text is novel (then no kept text exceeds it)."""
        if not tokens or not self._ids:
            return None
        vocab = self._vocab
        token_ids = [vocab.get(token, -1 - n) for n, token in enumerate(tokens)]
        if self._signatures is not None:
            scored = self._signatures.candidates(token_ids, self._starts, self._flat)
            return self._verify_scored(scored, token_ids)
        ordered = self._ordered(token_ids)
        if min(token_ids) >= 0:  # an unknown token gets its id only when added
            self._queried = (list(tokens), token_ids, ordered)
        chunks, layout = self._postings.gather(ordered, self._query_plan(len(ordered)))
        if not chunks:
            return None
        words = sum(layout[3::4])
        if words < ENTRY_WORDS * _COMPILED_FROM:
            scored = overlap_candidates(chunks, token_ids, self.threshold - SLACK, self._starts, self._flat)
        else:
            scored = self._candidates(layout, words, token_ids)
        return self._verify_scored(scored, token_ids)

    def _scratch(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per-text and per-token work arrays for the kernels, grown by doubling: the
        per-text scratch and the per-token overlap budget."""
        from pipeline.curate.novelty_kernels import empty_scratch

        docs, tokens = len(self._ids), len(self._vocab)
        if self._work is None or len(self._work["seen"]) < docs:
            self._work = empty_scratch(max(1024, 2 * docs))
        if self._budget is None or len(self._budget) < tokens:
            self._budget = np.zeros(max(1024, 2 * tokens), dtype=np.int64)
        return self._work, self._budget

    def _candidates(self, layout: list[int], words: int, token_ids: list[int]) -> list[tuple[float, int]]:
        """(overlap bound, text) for every text with a first-match-valid shared occurrence
        that also passes the histogram bound and the exact overlap bound; compiled loops."""
        from pipeline.curate import novelty_kernels as kernels

        work, budget = self._scratch()
        size, relaxed = len(token_ids), self.threshold - SLACK
        # the kernel reads each posting where it lies: nothing appends to them during the call
        rows = np.array(layout, dtype=np.int64).reshape(-1, 4)
        found = np.empty(words // ENTRY_WORDS, dtype=np.int64)
        query_histogram, masks = query_buckets(token_ids)
        count = kernels.first_match_candidates(rows, size, relaxed, masks, work["seen"], found)
        if count and query_histogram is not None:
            count = kernels.histogram_survivors(
                found,
                count,
                self._histograms.view(np.uint64),
                query_histogram.view(np.uint64),
                np.frombuffer(self._lengths, dtype=np.uint32),
                size,
                relaxed,
                found,
            )
        if count == 0:
            return []
        kept_docs, bounds = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.float64)
        kept = kernels.overlap_survivors(
            found,
            count,
            np.array([token_id for token_id in token_ids if token_id >= 0], dtype=np.int64),
            budget,
            np.frombuffer(self._starts, dtype=np.int64),
            np.frombuffer(self._flat, dtype=np.uint32),
            size,
            relaxed,
            kept_docs,
            bounds,
        )
        return list(zip(bounds[:kept].tolist(), kept_docs[:kept].tolist(), strict=True))

    def _verify_scored(self, scored: list[tuple[float, int]], token_ids: list[int]) -> NearMatch | None:
        """Highest bound first; the score is rouge-score's F1 of the exact LCS."""
        size = len(token_ids)
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        for _, doc in scored:
            candidate = self.tokens_of(doc)
            common = lcs_length(candidate, token_ids)
            # exactly what rouge-score's _score_lcs(candidate, query) returns: the same LCS
            # length, and its own F1 function on its own precision and recall expressions
            score = fmeasure(common / size, common / len(candidate))
            if score > self.threshold:
                return NearMatch(self._ids[doc], score)
        return None
