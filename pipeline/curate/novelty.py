"""The ROUGE-L novelty rule, exact and not quadratic.

A record is kept only if its ROUGE-L F1 against every text kept so far is <= the threshold.
Scores come from rouge-score's own LCS code (its float rounding decides borderline cases),
over CJK-aware tokens. Candidates are found through an inverted token index and pruned with
the bound F1 = 2·LCS/(|a|+|b|) <= 2·|shared tokens|/(|a|+|b|): a pruned pair can never exceed
the threshold, so nothing the exhaustive rule would drop is missed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from rouge_score.rouge_scorer import _score_lcs

# The bound is computed with different float operations than rouge-score's F1; pairs this close
# to the threshold are scored exactly rather than pruned.
_BOUND_SLACK = 1e-9


@dataclass(frozen=True)
class NearMatch:
    partner_id: str
    score: float


def rouge_l_f1(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    return float(_score_lcs(a, b).fmeasure)


class NoveltyIndex:
    def __init__(self, threshold: float = 0.7):
        self.threshold = threshold
        self._ids: list[str] = []
        self._tokens: list[list[str]] = []
        self._counts: list[Counter[str]] = []
        self._postings: dict[str, list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, doc_id: str, tokens: list[str]) -> None:
        index = len(self._ids)
        counts = Counter(tokens)
        self._ids.append(doc_id)
        self._tokens.append(tokens)
        self._counts.append(counts)
        for token in counts:
            self._postings[token].append(index)

    def find_near(self, tokens: list[str]) -> NearMatch | None:
        """The first kept text (highest bound first) whose ROUGE-L F1 exceeds the threshold."""
        if not tokens:
            return None
        counts = Counter(tokens)
        shared: dict[int, int] = defaultdict(int)
        for token, count in counts.items():
            for index in self._postings.get(token, ()):
                shared[index] += min(count, self._counts[index][token])
        size = len(tokens)
        scored = []
        for index, overlap in shared.items():
            bound = 2.0 * overlap / (size + len(self._tokens[index]))
            if bound > self.threshold - _BOUND_SLACK:
                scored.append((bound, index))
        for _, index in sorted(scored, reverse=True):
            score = rouge_l_f1(self._tokens[index], tokens)
            if score > self.threshold:
                return NearMatch(self._ids[index], score)
        return None
