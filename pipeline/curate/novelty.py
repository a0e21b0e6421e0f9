"""The ROUGE-L novelty rule, exact and not quadratic.

A record is kept only if its ROUGE-L F1 against every text kept so far is <= the threshold.
Scores come from rouge-score's own LCS and F1 code (its float rounding decides borderline
cases such as 0.7000000000000001 > 0.7), over CJK-aware tokens.

Finding the texts that could exceed the threshold without comparing against all of them:
F1 = 2·LCS/(|a|+|b|) <= 2·o/(|a|+|b|), where o is the multiset overlap of the two token
lists. F1 > t therefore needs o >= α = t·(|a|+|b|)/2, and since |b| >= t·|a|/(2-t) for any
pair that can pass, α >= t·|a|/(2-t) =: α(|a|). Prefix filtering (set-similarity joins):
order token occurrences globally, rarest first; two texts that share at least α occurrences
share one among the first |x| - α(|x|) + 1 occurrences of each. So each text is indexed by
its prefix only and a query probes only its own prefix. The first shared occurrence found,
at position i of the query's order and j of the candidate's, bounds the overlap by
1 + min(|a|-i-1, |b|-j-1), and the last one similarly (the positional filter): most
candidates sharing only a common word are dropped there, in numpy. The rest get the exact overlap bound, then rouge-score's
LCS. Nothing the exhaustive rule would drop is missed.

The global order must stay fixed while texts are indexed under it, yet rarity changes as
the index grows; the order is a snapshot of document frequencies that is renewed (and the
prefixes re-indexed) whenever the index has doubled since the last snapshot.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rouge_score.scoring import fmeasure

# The bound uses other float operations than rouge-score's F1: prune only what is below the
# threshold by more than this, and let rouge-score decide everything closer.
_SLACK = 1e-9
_MIN_SNAPSHOT = 256
_SHIFT = 32  # element id = token id + occurrence << 32
_POSITION_BITS = 8  # a posting is doc << 8 | position of the element in the doc's order
_MAX_POSITION = (1 << _POSITION_BITS) - 1  # later positions are stored as 255: a looser bound
_NUMPY_FROM = 48  # postings to merge before numpy beats a Python loop


@dataclass(frozen=True)
class NearMatch:
    partner_id: str
    score: float


def rouge_l_f1(a: list, b: list) -> float:
    """ROUGE-L F1 exactly as rouge-score computes it (tokens already CJK-aware)."""
    if not a or not b:
        return 0.0
    # imported on first use: rouge-score pulls in nltk (~1 s), which runs without LCS never need
    from rouge_score.rouge_scorer import _score_lcs

    return float(_score_lcs(a, b).fmeasure)


def lcs_length(a: list, b: list) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison-Dix/Hyyrö): the same
    integer as rouge-score's DP table, at a fraction of its cost. Used to screen candidates;
    the verdict on a drop is still rouge-score's own `_score_lcs`."""
    masks: dict = {}
    for position, token in enumerate(a):
        masks[token] = masks.get(token, 0) | 1 << position
    full = (1 << len(a)) - 1
    row = full
    for token in b:
        matched = row & masks.get(token, 0)
        row = (row + matched) | (row - matched)
    return len(a) - (row & full).bit_count()


def min_overlap(length: int, threshold: float) -> int:
    """The least overlap any partner of a text of this length needs to exceed the threshold."""
    relaxed = threshold - _SLACK
    if relaxed <= 0:
        return 1
    return max(1, math.ceil(relaxed * length / (2 - relaxed)))


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
        self._postings: dict[int, array] = {}
        self._snapshot_docs = 0

    def __len__(self) -> int:
        return len(self._ids)

    def _ordered(self, token_ids: list[int]) -> list[tuple[int, int, int]]:
        """(order key, occurrence, token id) sorted: the global order of token occurrences.
        Tokens unseen at the snapshot count as rarer than all others, in a fixed order, and
        a query's tokens that no indexed text has (negative ids) sort first of all."""
        rank, ranked = self._rank, len(self._rank)
        seen: Counter[int] = Counter()
        keyed = []
        for token_id in token_ids:
            if token_id < 0:
                key = -(1 << 62) + token_id
            else:
                key = rank[token_id] if token_id < ranked else -1 - token_id
            keyed.append((key, seen[token_id], token_id))
            seen[token_id] += 1
        keyed.sort()
        return keyed

    def _prefix_size(self, size: int) -> int:
        return max(1, size - min_overlap(size, self.threshold) + 1)

    def _post(self, doc: int, token_ids: list[int]) -> None:
        ordered = self._ordered(token_ids)
        for position, (_, occurrence, token_id) in enumerate(ordered[:self._prefix_size(len(ordered))]):
            element = token_id + (occurrence << _SHIFT)
            code = doc << _POSITION_BITS | min(position, _MAX_POSITION)
            posting = self._postings.get(element)
            if posting is None:
                self._postings[element] = array("Q", [code])
            else:
                posting.append(code)

    def tokens_of(self, doc: int) -> list[int]:
        return self._flat[self._starts[doc]:self._starts[doc + 1]].tolist()

    def add(self, doc_id: str, tokens: list[str]) -> None:
        token_ids = []
        for token in tokens:
            token_id = self._vocab.get(token)
            if token_id is None:
                token_id = self._vocab[token] = len(self._vocab)
                self._df.append(0)
            token_ids.append(token_id)
        for token_id in set(token_ids):
            self._df[token_id] += 1
        doc = len(self._ids)
        self._ids.append(doc_id)
        self._flat.extend(token_ids)
        self._starts.append(len(self._flat))
        self._lengths.append(len(token_ids))
        if token_ids:
            self._post(doc, token_ids)
        if len(self._ids) >= max(_MIN_SNAPSHOT, 2 * self._snapshot_docs):
            self._renew_order()

    def _renew_order(self) -> None:
        order = sorted(range(len(self._df)), key=lambda token_id: (self._df[token_id], token_id))
        rank = array("q", bytes(8 * len(order)))
        for position, token_id in enumerate(order):
            rank[token_id] = position
        self._rank = rank
        self._postings = {}
        for doc in range(len(self._ids)):
            token_ids = self.tokens_of(doc)
            if token_ids:
                self._post(doc, token_ids)
        self._snapshot_docs = len(self._ids)

    def find_near(self, tokens: list[str]) -> NearMatch | None:
        """A kept text whose ROUGE-L F1 with `tokens` exceeds the threshold (the candidate
        with the highest bound first), or None when the text is novel."""
        if not tokens or not self._ids:
            return None
        vocab = self._vocab
        token_ids = [vocab.get(token, -1 - n) for n, token in enumerate(tokens)]
        ordered = self._ordered(token_ids)
        probes: list[tuple[int, array]] = []
        for position, (_, occurrence, token_id) in enumerate(ordered[:self._prefix_size(len(ordered))]):
            if token_id >= 0:
                posting = self._postings.get(token_id + (occurrence << _SHIFT))
                if posting is not None:
                    probes.append((position, posting))
        if not probes:
            return None
        survivors = self._positional_filter(probes, token_ids)
        return self._verify(survivors, token_ids)

    def _positional_filter(self, probes: list[tuple[int, array]], token_ids: list[int]
                           ) -> list[int]:
        """Candidates that can still reach the overlap they need. With h occurrences shared
        inside both prefixes, the first at query/candidate positions (i, j) and the last at
        (i', j'), every other shared occurrence comes later in both orders, so
        overlap <= min(1 + min(|a|-i-1, |b|-j-1), h + min(|a|-i'-1, |b|-j'-1))."""
        relaxed, size = self.threshold - _SLACK, len(token_ids)
        if sum(len(posting) for _, posting in probes) < _NUMPY_FROM:
            return self._positional_filter_small(probes, size, relaxed)
        codes = np.concatenate([np.frombuffer(posting, dtype=np.uint64) for _, posting in probes])
        query_positions = np.repeat([position for position, _ in probes],
                                    [len(posting) for _, posting in probes])
        docs_all = codes >> _POSITION_BITS
        order = np.argsort(docs_all, kind="stable")  # within a doc, probes stay in query order
        sorted_docs = docs_all[order]
        group_start = np.flatnonzero(np.r_[True, sorted_docs[1:] != sorted_docs[:-1]])
        group_end = np.r_[group_start[1:], len(sorted_docs)]
        first, last = order[group_start], order[group_end - 1]
        docs = sorted_docs[group_start]
        lengths = np.frombuffer(self._lengths, dtype=np.uint32)[docs].astype(np.int64)
        positions = (codes & _MAX_POSITION).astype(np.int64)
        shared = group_end - group_start
        bound = np.minimum(
            1 + np.minimum(size - query_positions[first] - 1, lengths - positions[first] - 1),
            shared + np.minimum(size - query_positions[last] - 1, lengths - positions[last] - 1))
        keep = 2 * bound >= relaxed * (size + lengths)
        return self._membership_filter(docs[keep], token_ids, relaxed)

    def _membership_filter(self, docs: np.ndarray, token_ids: list[int], relaxed: float
                           ) -> list[int]:
        """How many of a candidate's tokens occur in the query at all bounds the overlap
        from above (repeats are counted each time); vectorised over all candidates."""
        if len(docs) < _NUMPY_FROM // 4:
            return docs.tolist()
        lengths = np.frombuffer(self._lengths, dtype=np.uint32)[docs].astype(np.int64)
        starts = np.frombuffer(self._starts, dtype=np.uint64)[docs].astype(np.int64)
        ends = np.cumsum(lengths)
        offsets = np.arange(ends[-1]) - np.repeat(ends - lengths, lengths) + np.repeat(starts, lengths)
        tokens = np.frombuffer(self._flat, dtype=np.uint32)[offsets]
        inside = np.isin(tokens, np.array([t for t in token_ids if t >= 0], dtype=np.uint32))
        shared = np.add.reduceat(inside.astype(np.int64), ends - lengths) if len(tokens) else lengths
        keep = 2 * np.minimum(shared, len(token_ids)) >= relaxed * (len(token_ids) + lengths)
        return docs[keep].tolist()

    def _positional_filter_small(self, probes: list[tuple[int, array]], size: int,
                                 relaxed: float) -> list[int]:
        """The same filter as a plain loop, for the many queries with short postings."""
        seen: dict[int, list[int]] = {}  # doc -> [i, j, shared, i', j']
        for position, posting in probes:
            for code in posting:
                doc, j = code >> _POSITION_BITS, code & _MAX_POSITION
                state = seen.get(doc)
                if state is None:
                    seen[doc] = [position, j, 1, position, j]
                else:
                    state[2] += 1
                    state[3], state[4] = position, j
        lengths = self._lengths
        survivors = []
        for doc, (i, j, shared, i_last, j_last) in seen.items():
            length = lengths[doc]
            bound = min(1 + min(size - i - 1, length - j - 1),
                        shared + min(size - i_last - 1, length - j_last - 1))
            if 2 * bound >= relaxed * (size + length):
                survivors.append(doc)
        return survivors

    def _verify(self, candidates: list[int], token_ids: list[int]) -> NearMatch | None:
        size = len(token_ids)
        relaxed = self.threshold - _SLACK
        counts = Counter(token_id for token_id in token_ids if token_id >= 0)
        starts, flat = self._starts, self._flat
        scored = []
        for doc in candidates:
            start, end = starts[doc], starts[doc + 1]
            remaining = dict(counts)
            overlap = 0
            for token_id in flat[start:end]:
                left = remaining.get(token_id, 0)
                if left:
                    remaining[token_id] = left - 1
                    overlap += 1
            bound = 2.0 * overlap / (size + end - start)
            if bound >= relaxed:
                scored.append((bound, doc))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        for _, doc in scored:
            candidate = self.tokens_of(doc)
            common = lcs_length(candidate, token_ids)
            # rouge-score's F1 expression on the exact LCS: its float rounding, unchanged
            if fmeasure(common / size, common / len(candidate)) > self.threshold:
                score = rouge_l_f1(candidate, token_ids)
                if score > self.threshold:
                    return NearMatch(self._ids[doc], score)
        return None
