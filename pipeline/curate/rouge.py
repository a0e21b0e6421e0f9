"""ROUGE-L between token lists: rouge-score's own computation (the verdict) and a
bit-parallel LCS that gives the same integer much faster (for screening candidates)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def rouge_l_f1(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """ROUGE-L F1 exactly as rouge-score computes it (tokens already CJK-aware)."""
    if not a or not b:
        return 0.0
    # imported on first use: rouge-score pulls in nltk (~1 s), which runs without LCS never need
    from rouge_score.rouge_scorer import _score_lcs

    return float(_score_lcs(a, b).fmeasure)


def lcs_length(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison-Dix/Hyyrö): the same
    integer as rouge-score's DP table, at a fraction of its cost. Used to screen candidates;
    the verdict on a drop is still rouge-score's own `_score_lcs`."""
    masks: dict[Hashable, int] = {}
    for position, token in enumerate(a):
        masks[token] = masks.get(token, 0) | 1 << position
    full = (1 << len(a)) - 1
    row = full
    for token in b:
        matched = row & masks.get(token, 0)
        row = (row + matched) | (row - matched)
    return len(a) - (row & full).bit_count()


def rouge_l_f1_fast(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """The same float as `rouge_l_f1`: the same LCS length from `lcs_length` instead of
    rouge-score's DP table, then its precision, recall and F expressions in the same order."""
    if not a or not b:
        return 0.0
    common = lcs_length(a, b)
    return fmeasure(common / len(b), common / len(a))


def fmeasure(precision: float, recall: float) -> float:
    """rouge-score's `scoring.fmeasure`, the same expression in the same order (so the same
    float, 0.7000000000000001 included): importing it would import numpy for one line."""
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0
